// CameraFinder: gphoto2 is asked for the attached cameras only when the USB bus changed, when the
// last answer is too old, or never while a download runs; callers at once share one run. The bus
// is a stand-in (a physical camera cannot exist here); its answers are counted.

import { describe, expect, it } from 'vitest';
import type { PtpCamera } from '../../../../src/main/core/intake/gphoto2.js';
import { CameraFinder, PTP_RECHECK_MS, PTP_REPROBE_MS, type UsbProbe } from '../../../../src/main/core/intake/usb-probe.js';

const IPHONE: PtpCamera = { model: 'Apple iPhone', port: 'usb:001,004' };
const CANON: PtpCamera = { model: 'Canon EOS 80D', port: 'usb:001,007' };

/** A USB bus whose devices and cameras the test sets; counts how often gphoto2 would have run. */
function bus(initial: { signature: string | null; cameras: PtpCamera[] }) {
  const state = { ...initial, fail: false, asked: 0, gate: null as Promise<void> | null };
  const probe: UsbProbe = {
    signature: async () => state.signature,
    cameras: async () => {
      state.asked++;
      await state.gate;
      if (state.fail) throw new Error('Could not claim the USB device');
      return [...state.cameras];
    },
  };
  return { state, probe };
}

describe('CameraFinder', () => {
  it('asks gphoto2 again only when the USB devices change, or after PTP_RECHECK_MS', async () => {
    let now = 0;
    const { state, probe } = bus({ signature: '1-0:1.0 usb1', cameras: [] });
    const finder = new CameraFinder(probe, { now: () => now });
    expect(await finder.cameras()).toEqual([]);
    now += PTP_REPROBE_MS * 3;
    expect(await finder.cameras()).toEqual([]);
    expect(state.asked).toBe(1);

    // The phone is plugged in: a new device on the bus.
    state.signature = '1-0:1.0 1-1 1-1:1.0 usb1';
    state.cameras = [IPHONE];
    expect(await finder.cameras()).toEqual([IPHONE]);
    expect(await finder.cameras()).toEqual([IPHONE]);
    expect(state.asked).toBe(2);

    // A device may start offering PTP without a bus change (an unlocked phone): seen within the recheck.
    state.cameras = [IPHONE, CANON];
    now += PTP_RECHECK_MS - 1;
    expect(await finder.cameras()).toEqual([IPHONE]);
    now += 1;
    expect(await finder.cameras()).toEqual([IPHONE, CANON]);
    expect(state.asked).toBe(3);
  });

  it('where the bus cannot be read, asks at most every PTP_REPROBE_MS', async () => {
    let now = 1_000;
    const { state, probe } = bus({ signature: null, cameras: [] });
    const finder = new CameraFinder(probe, { now: () => now });
    await finder.cameras();
    state.cameras = [CANON];
    now += PTP_REPROBE_MS - 1;
    expect(await finder.cameras()).toEqual([]);
    now += 1;
    expect(await finder.cameras()).toEqual([CANON]);
    expect(state.asked).toBe(2);
  });

  it('keeps the last list when gphoto2 fails, and tries again after the interval or a bus change, not on every call', async () => {
    let now = 0;
    const { state, probe } = bus({ signature: 'a', cameras: [IPHONE] });
    const finder = new CameraFinder(probe, { now: () => now });
    expect(await finder.cameras()).toEqual([IPHONE]);
    state.signature = 'b';
    state.fail = true;
    expect(await finder.cameras()).toEqual([IPHONE]);
    expect(await finder.cameras()).toEqual([IPHONE]);
    expect(state.asked).toBe(2);
    now += PTP_REPROBE_MS;
    state.fail = false;
    state.cameras = [];
    expect(await finder.cameras()).toEqual([]);
    expect(state.asked).toBe(3);
    // A first answer that fails lists no camera (rather than an error).
    const broken = bus({ signature: 'x', cameras: [] });
    broken.state.fail = true;
    expect(await new CameraFinder(broken.probe).cameras()).toEqual([]);
  });

  it('never asks while a download from a camera runs, and callers at once share one run', async () => {
    let downloading = false;
    const { state, probe } = bus({ signature: 'a', cameras: [IPHONE] });
    const finder = new CameraFinder(probe, { busy: () => downloading });
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const [first, second] = [finder.cameras(), finder.cameras()];
    open();
    expect(await Promise.all([first, second])).toEqual([[IPHONE], [IPHONE]]);
    expect(state.asked).toBe(1);

    downloading = true;
    state.signature = 'b';
    state.cameras = [];
    expect(await finder.cameras()).toEqual([IPHONE]);
    expect(state.asked).toBe(1);
    downloading = false;
    expect(await finder.cameras()).toEqual([]);
    expect(state.asked).toBe(2);
  });
});
