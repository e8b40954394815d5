// The tray's one line: its formatting (tooltip cut to what Windows shows, the menu), and that it
// follows the status after core events without re-rendering on every progress tick.

import { describe, expect, it } from 'vitest';
import { TRAY_REFRESH_INTERVAL_MS, TRAY_REFRESH_MIN_MS, TRAY_TOOLTIP_MAX_CHARS, trayMenuTemplate, trayTooltip, watchTray } from '../../../src/main/electron/tray-status.js';
import { manualClock } from './manual-clock.js';
import { recordingHost } from './recording-host.js';

describe('trayTooltip', () => {
  it("names the app and keeps the status line as the service wrote it", () => {
    expect(trayTooltip('Holding 3.2 GB for 14 people · 2 of yours pending')).toBe('Inswarm: Holding 3.2 GB for 14 people · 2 of yours pending');
  });

  it('folds line breaks and runs of spaces into one space', () => {
    expect(trayTooltip('  Holding 1 GB\nfor 2 people  ·\t1 of yours pending ')).toBe('Inswarm: Holding 1 GB for 2 people · 1 of yours pending');
  });

  it(`cuts a long line to ${TRAY_TOOLTIP_MAX_CHARS} characters with an ellipsis`, () => {
    const long = `Holding 3.2 GB for 14 people · ${'x'.repeat(200)}`;
    const tip = trayTooltip(long);
    expect(tip).toHaveLength(TRAY_TOOLTIP_MAX_CHARS);
    expect(tip.endsWith('…')).toBe(true);
    expect(tip.startsWith('Inswarm: Holding 3.2 GB for 14 people · xxx')).toBe(true);
    // Exactly at the limit: left whole.
    const exact = 'y'.repeat(TRAY_TOOLTIP_MAX_CHARS - 'Inswarm: '.length);
    expect(trayTooltip(exact)).toBe(`Inswarm: ${exact}`);
  });
});

describe('trayMenuTemplate', () => {
  it('shows the line (not clickable), then Open and Quit wired to the actions', () => {
    const done: string[] = [];
    const menu = trayMenuTemplate('Holding nothing for others · all of yours delivered', { open: () => done.push('open'), quit: () => done.push('quit') });
    expect(menu[0]).toEqual({ label: 'Holding nothing for others · all of yours delivered', enabled: false });
    const items = menu.filter((m) => m.type !== 'separator');
    expect(items.map((m) => m.label)).toEqual(['Holding nothing for others · all of yours delivered', 'Open Inswarm', 'Quit Inswarm']);
    for (const item of items.slice(1)) (item.click as () => void)();
    expect(done).toEqual(['open', 'quit']);
  });
});

describe('watchTray', () => {
  function setup() {
    const clock = manualClock();
    const host = recordingHost();
    let line = 'Holding nothing for others · all of yours delivered';
    let reads = 0;
    const tray = { tips: [] as string[], menus: 0, setToolTip: (t: string) => void tray.tips.push(t), setMenu: () => void tray.menus++ };
    const stop = watchTray({
      tray,
      statusLine: () => {
        reads++;
        return line;
      },
      api: host,
      actions: { open: () => undefined, quit: () => undefined },
      timers: clock.timers,
    });
    return { clock, host, tray, stop, setLine: (l: string) => (line = l), reads: () => reads };
  }

  it('shows the line at once', () => {
    const { tray } = setup();
    expect(tray.tips).toEqual(['Inswarm: Holding nothing for others · all of yours delivered']);
    expect(tray.menus).toBe(1);
  });

  it('refreshes once per burst of events, and only re-renders when the line changed', () => {
    const { clock, host, tray, setLine, reads } = setup();
    setLine('Holding 12 MB for 1 person · all of yours delivered');
    for (let i = 0; i < 50; i++) host.push({ event: 'held:progress', payload: { received: i } });
    expect(tray.tips).toHaveLength(1);
    clock.advance(TRAY_REFRESH_MIN_MS);
    expect(tray.tips).toEqual(['Inswarm: Holding nothing for others · all of yours delivered', 'Inswarm: Holding 12 MB for 1 person · all of yours delivered']);
    expect(reads()).toBe(2);
    // Events that change nothing: the line is read again, the tray is left alone.
    host.push({ event: 'peer:up', payload: {} });
    clock.advance(TRAY_REFRESH_MIN_MS);
    expect(reads()).toBe(3);
    expect(tray.tips).toHaveLength(2);
    expect(tray.menus).toBe(2);
  });

  it('refreshes on its own timer when nothing is reported (expiry, disk space)', () => {
    const { clock, tray, setLine } = setup();
    setLine('Holding nothing for others · 1 of yours pending');
    clock.advance(TRAY_REFRESH_INTERVAL_MS);
    expect(tray.tips.at(-1)).toBe('Inswarm: Holding nothing for others · 1 of yours pending');
  });

  it('keeps the last line when the status cannot be read (the core closing), and stops cleanly', () => {
    const { clock, host, tray, stop } = setup();
    const broken = () => {
      throw new Error('The database connection is not open');
    };
    // Swap the reader for one that throws, as the ledger does once closed.
    const watch = watchTray({ tray, statusLine: broken, api: host, actions: { open: () => undefined, quit: () => undefined }, timers: clock.timers });
    clock.advance(TRAY_REFRESH_INTERVAL_MS);
    expect(tray.tips).toHaveLength(1);
    watch();
    stop();
    expect(host.listeners).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});
