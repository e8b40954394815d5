// Watches which network this device is on. On one of its home networks it runs delivery passes:
// at once on arrival, then every HOME_FLUSH_INTERVAL_MS to retry failures and pick up new blobs.
// Off home it does nothing but look again. One probe failure is logged, never fatal.

import type { EventBus } from '../events.js';
import type { NetworkFingerprint, NetworkProbe } from '../homenet/fingerprint.js';
import type { HomeNetwork } from '../homenet/home-networks.js';
import { HOME_CHECK_INTERVAL_MS, HOME_FLUSH_INTERVAL_MS } from '../limits.js';

export interface HomeWatchParts {
  readonly probe: NetworkProbe;
  readonly isHome: (fp: NetworkFingerprint) => HomeNetwork | null;
  readonly flush: () => Promise<unknown>;
  readonly events: EventBus;
  readonly log: (type: string, data: Record<string, string | null>) => void;
  readonly checkIntervalMs?: number;
  readonly flushIntervalMs?: number;
}

export interface NetworkState {
  readonly fingerprint: NetworkFingerprint | null;
  readonly home: HomeNetwork | null;
  readonly checkedAt: number | null;
}

export class HomeWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;
  private checking: Promise<void> | null = null;
  private state_: NetworkState = { fingerprint: null, home: null, checkedAt: null };
  private lastProbeError: string | null = null;
  private stopped = false;

  constructor(private readonly parts: HomeWatchParts) {}

  get state(): NetworkState {
    return this.state_;
  }

  start(): void {
    if (this.timer !== null) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.check(), this.parts.checkIntervalMs ?? HOME_CHECK_INTERVAL_MS);
    void this.check();
  }

  /** Stops checking; resolves once a check in progress has finished (the ledger may close after). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  /** Looks at the network now, and flushes when at home and a pass is due. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    let fp: NetworkFingerprint;
    try {
      fp = await this.parts.probe.current();
      this.lastProbeError = null;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastProbeError) this.parts.log('network:probe-failed', { error: message });
      this.lastProbeError = message;
      return;
    }
    if (this.stopped) return; // the node is closing: its ledger may be gone
    const home = this.parts.isHome(fp);
    const before = this.state_;
    this.state_ = { fingerprint: fp, home, checkedAt: Date.now() };
    const changed = before.checkedAt === null || before.home?.id !== home?.id || before.fingerprint?.gatewayMac !== fp.gatewayMac || before.fingerprint?.ssid !== fp.ssid;
    if (changed) {
      const payload = { home: home?.label ?? null, ssid: fp.ssid, gatewayMac: fp.gatewayMac };
      this.parts.log('network:changed', payload);
      this.parts.events.emit('network:changed', payload);
    }
    if (home === null || this.stopped) return;
    const due = changed || Date.now() - this.lastFlush >= (this.parts.flushIntervalMs ?? HOME_FLUSH_INTERVAL_MS);
    if (!due) return;
    this.lastFlush = Date.now();
    // Not awaited: a long pass must not hold up noticing that we left home.
    this.parts.flush().catch((err: unknown) => this.parts.log('delivery:pass-failed', { error: (err as Error).message }));
  }
}
