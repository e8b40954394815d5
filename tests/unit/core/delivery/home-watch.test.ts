// HomeWatch decides when to deliver from what the network probe says. The probe is the OS boundary
// (tests/integration/homenet-netns.test.ts and tests/lan/mission.test.ts run the real one); here a
// scripted probe drives the decisions: flush on arriving home, again only when a pass is due, never
// away from home, and a failing probe is logged once per distinct error, never fatal.
import { describe, expect, it } from 'vitest';
import { HomeWatch } from '../../../../src/main/core/delivery/home-watch.js';
import { EventBus } from '../../../../src/main/core/events.js';
import { matchHome, type NetworkFingerprint } from '../../../../src/main/core/homenet/fingerprint.js';
import type { HomeNetwork } from '../../../../src/main/core/homenet/home-networks.js';

const VENUE: NetworkFingerprint = { ssid: 'Venue-Guest', gatewayIp: '10.0.0.1', gatewayMac: '02:00:00:00:00:01', iface: 'wlan0' };
const HOME: NetworkFingerprint = { ssid: 'Flat', gatewayIp: '192.168.1.1', gatewayMac: '02:00:00:00:00:02', iface: 'wlan0' };
const HOMES: HomeNetwork[] = [{ id: 1, label: 'flat', ssid: null, gatewayMac: '02:00:00:00:00:02', addedAt: 0 }];

function setup(flushIntervalMs = 60_000) {
  let next: NetworkFingerprint | Error = VENUE;
  const logged: { type: string; data: Record<string, string | null> }[] = [];
  const events = new EventBus();
  const changes: unknown[] = [];
  events.on('network:changed', (p) => changes.push(p));
  let flushes = 0;
  const watch = new HomeWatch({
    probe: { current: async () => { if (next instanceof Error) throw next; return next; } },
    isHome: (fp) => matchHome(fp, HOMES),
    flush: async () => { flushes++; },
    events,
    log: (type, data) => logged.push({ type, data }),
    flushIntervalMs,
  });
  return { watch, logged, changes, flushes: () => flushes, set: (fp: NetworkFingerprint | Error) => (next = fp) };
}

describe('HomeWatch', () => {
  it('does not deliver at the venue, delivers on arriving home, and says which network it is', async () => {
    const t = setup();
    await t.watch.check();
    expect(t.flushes()).toBe(0);
    expect(t.watch.state.home).toBeNull();
    t.set(HOME);
    await t.watch.check();
    expect(t.flushes()).toBe(1);
    expect(t.watch.state.home?.label).toBe('flat');
    expect(t.changes).toEqual([
      { home: null, ssid: 'Venue-Guest', gatewayMac: '02:00:00:00:00:01' },
      { home: 'flat', ssid: 'Flat', gatewayMac: '02:00:00:00:00:02' },
    ]);
  });

  it('at home, runs another pass only when one is due', async () => {
    const t = setup(0);
    t.set(HOME);
    await t.watch.check();
    await t.watch.check();
    expect(t.flushes()).toBe(2);
    const slow = setup(60_000);
    slow.set(HOME);
    await slow.watch.check();
    await slow.watch.check();
    expect(slow.flushes()).toBe(1);
  });

  it('logs a failing probe once per distinct error and keeps the last known network', async () => {
    const t = setup();
    t.set(HOME);
    await t.watch.check();
    t.set(new Error('ip: command not found'));
    await t.watch.check();
    await t.watch.check();
    expect(t.logged.filter((l) => l.type === 'network:probe-failed')).toEqual([{ type: 'network:probe-failed', data: { error: 'ip: command not found' } }]);
    expect(t.watch.state.home?.label).toBe('flat');
  });

  it('stop() waits for a check in progress, which then leaves the (closing) ledger alone', async () => {
    let release!: () => void;
    let isHomeCalls = 0;
    let flushes = 0;
    const watch = new HomeWatch({
      probe: { current: () => new Promise<NetworkFingerprint>((resolve) => (release = () => resolve(HOME))) },
      isHome: (fp) => {
        isHomeCalls++;
        return matchHome(fp, HOMES);
      },
      flush: async () => {
        flushes++;
      },
      events: new EventBus(),
      log: () => undefined,
    });
    const checking = watch.check();
    let stopped = false;
    const stopping = watch.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false); // still waiting for the probe
    release();
    await stopping;
    await checking;
    expect(isHomeCalls).toBe(0);
    expect(flushes).toBe(0);
  });
});
