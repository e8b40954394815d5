// The node's one event bus: every state change the UI and logs follow goes through here, named
// `noun:verb`. Payloads are plain JSON so the same events can cross IPC or a WebSocket unchanged.

import type { ImportSummary } from './intake/importer.js';
import type { ImportProgress } from './intake/progress.js';

export interface CoreEvents {
  'peer:seen': { deviceId: string; name: string; address: string; source: 'mdns' | 'manual' };
  'peer:lost': { deviceId: string };
  'peer:up': { deviceId: string; name: string; address: string; direction: 'in' | 'out'; freeBytes: number };
  'peer:down': { deviceId: string; reason: string };
  'peer:refused': { address: string; reason: string };
  'placement:offered': { blobId: string; holderId: string };
  'placement:declined': { blobId: string; holderId: string; reason: string };
  'placement:progress': { blobId: string; holderId: string; sent: number; size: number };
  'placement:stored': { blobId: string; holderId: string; replicas: number };
  'placement:failed': { blobId: string; holderId: string; error: string };
  'blob:placed': { blobId: string; replicas: number };
  'held:receiving': { blobId: string; originId: string; size: number };
  'held:progress': { blobId: string; received: number; size: number };
  'held:paused': { blobId: string; received: number; why: string };
  'held:resumed': { blobId: string; offset: number; size: number };
  'held:stored': { blobId: string; originId: string; size: number };
  'held:purged': { blobId: string; state: string };
  'caps:changed': Record<string, unknown>;
  'network:changed': { home: string | null; ssid: string | null; gatewayMac: string | null };
  'delivery:started': { blobId: string; source: 'outbox' | 'held'; target: string; size: number };
  'delivery:progress': { blobId: string; sent: number; size: number };
  'delivery:delivered': { blobId: string; source: 'outbox' | 'held'; target: string; uploaded: number };
  'delivery:failed': { blobId: string; source: 'outbox' | 'held'; error: string; retryAt: number };
  'delivery:released': { blobId: string; holderId: string };
  /** The running import, at most every IMPORT_EVENT_INTERVAL_MS (intake/intake.ts) and at each phase. */
  'import:progress': { source: string; name: string; progress: ImportProgress };
  /** An import ended: its summary, or cancelled, or the error that stopped it. */
  'import:done': { source: string; name: string; at: number; summary: ImportSummary | null; cancelled: boolean; error: { code: string; message: string } | null };
  /** A phone, camera or card holding DCIM was plugged in (or was there when watching began), or went away. */
  'source:added': { root: string; kind: 'volume' | 'mtp' | 'ptp'; name: string };
  'source:removed': { root: string; kind: 'volume' | 'mtp' | 'ptp'; name: string };
}

export type CoreEventName = keyof CoreEvents;
type Listener<K extends CoreEventName> = (payload: CoreEvents[K]) => void;

/** A small typed emitter; a throwing listener is reported, never allowed to break the emitter. */
export class EventBus {
  private readonly listeners = new Map<CoreEventName, Set<Listener<never>>>();
  private readonly any = new Set<(name: CoreEventName, payload: unknown) => void>();

  on<K extends CoreEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Every event, for the activity log and the UI bridge. */
  onAny(listener: (name: CoreEventName, payload: unknown) => void): () => void {
    this.any.add(listener);
    return () => this.any.delete(listener);
  }

  emit<K extends CoreEventName>(name: K, payload: CoreEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) this.call(() => (listener as Listener<K>)(payload));
    for (const listener of this.any) this.call(() => listener(name, payload));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
