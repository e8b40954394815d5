// Where the donated-disk bar draws its parts. Pure. The bar's scale is the cap; the free-disk floor
// shows as a marker where donations would stop because the volume must keep `floor` bytes free.

export interface DiskInput {
  /** Bytes held for others now. */
  readonly used: number;
  /** Bytes donated at most. */
  readonly cap: number;
  /** Free bytes on the volume now. */
  readonly free: number;
  /** Free bytes that must always remain. */
  readonly floor: number;
}

export interface DiskGeometry {
  /** Fraction of the bar that is used (0..1). */
  readonly used: number;
  /** Fraction where the floor stops donations, or null when the cap comes first. */
  readonly floorAt: number | null;
  /** Bytes that can still be accepted (within the cap and above the floor). */
  readonly available: number;
  /** Whether no more replicas fit. */
  readonly full: boolean;
}

export function diskGeometry(input: DiskInput): DiskGeometry {
  const used = Math.max(0, input.used);
  const cap = Math.max(0, input.cap);
  const scale = Math.max(cap, used, 1);
  const room = Math.max(0, input.free - input.floor);
  const stop = used + room;
  const available = Math.max(0, Math.min(cap - used, room));
  return {
    used: used / scale,
    floorAt: stop < cap ? stop / scale : null,
    available,
    full: available === 0,
  };
}
