// Notices phones, cameras and cards being plugged in and out by listing the source roots every few
// seconds (no udev or OS hooks: the same code on every OS, and nothing to install), and PTP cameras
// through a CameraFinder (which asks gphoto2 only when the USB devices changed). The node starts
// one and turns its callbacks into events for the UI.

import { findSourceRoots, ptpSourceId, withoutMtpMounted, type FindCameras, type SourceRoots } from './sources.js';

/** Often enough that a plugged-in phone shows up while the user still looks at the screen. */
export const WATCH_INTERVAL_MS = 3_000;

export interface WatchedSource {
  /** The folder; for a PTP camera (no folder), its source ID. */
  readonly root: string;
  readonly kind: 'volume' | 'mtp' | 'ptp';
  readonly name: string;
}

export interface SourceWatcherOptions {
  readonly roots: SourceRoots;
  readonly onAdded: (source: WatchedSource) => void;
  readonly onRemoved: (source: WatchedSource) => void;
  readonly intervalMs?: number;
  /** Injectable for tests: how the next check is scheduled. */
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void };
  /** Injectable for tests: how sources are found. */
  readonly find?: (roots: SourceRoots) => Promise<WatchedSource[]>;
  /** The PTP cameras attached (default: none looked for). */
  readonly cameras?: FindCameras;
}

export class SourceWatcher {
  private readonly present = new Map<string, WatchedSource>();
  /** Cameras the last check saw, present or not yet. */
  private camerasSeenOnce = new Set<string>();
  private timer: { cancel(): void } | null = null;
  private running = false;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: SourceWatcherOptions) {}

  /** The sources present at the last check. */
  sources(): WatchedSource[] {
    return [...this.present.values()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  /** Stops watching; resolves once a check in progress has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    await this.checking;
  }

  /** Lists the roots once and reports what came and went since the last check. */
  async check(): Promise<void> {
    const find = this.options.find ?? findSourceRoots;
    let now: WatchedSource[];
    try {
      const [folders, cameras] = await Promise.all([find(this.options.roots), this.options.cameras ? this.options.cameras() : []]);
      const mtpRoots = folders.filter((f) => f.kind === 'mtp').map((f) => f.root);
      now = [...folders, ...withoutMtpMounted(cameras, mtpRoots).map((c): WatchedSource => ({ root: ptpSourceId(c), kind: 'ptp', name: c.model }))];
    } catch {
      return; // a root vanished mid-listing: the next check sees a settled state
    }
    // A new camera counts once two checks in a row have seen it: on plug-in gphoto2 often sees an
    // Android phone before gvfs has mounted it, and then the mount, not gphoto2, is the way in.
    const cameras = new Set(now.filter((s) => s.kind === 'ptp').map((s) => s.root));
    now = now.filter((s) => s.kind !== 'ptp' || this.present.has(s.root) || this.camerasSeenOnce.has(s.root));
    this.camerasSeenOnce = cameras;
    const seen = new Set(now.map((s) => s.root));
    for (const [root, source] of this.present) {
      if (!seen.has(root)) {
        this.present.delete(root);
        this.options.onRemoved(source);
      }
    }
    for (const source of now) {
      if (!this.present.has(source.root)) {
        this.present.set(source.root, source);
        this.options.onAdded(source);
      }
    }
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    this.checking = this.check();
    await this.checking;
    this.checking = null;
    if (!this.running) return;
    const schedule = this.options.setTimer ?? ((fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    });
    this.timer = schedule(() => void this.tick(), this.options.intervalMs ?? WATCH_INTERVAL_MS);
  }
}
