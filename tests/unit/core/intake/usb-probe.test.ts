// CameraFinder: gphoto2 is asked for the attached cameras only when the USB bus changed, when the
// last answer is too old, or never while a download runs; callers at once share one run. The bus
// is a stand-in (a physical camera cannot exist here); its answers are counted. systemUsbProbe reads
// a sysfs tree laid out as Linux does, with gphoto2's recorded output for the command.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PtpCamera } from '../../../../src/main/core/intake/gphoto2.js';
import { CameraFinder, PTP_RECHECK_MS, PTP_REPROBE_MS, systemUsbProbe, usbSerial, type UsbProbe } from '../../../../src/main/core/intake/usb-probe.js';
import { tempDir } from '../../../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/intake/', import.meta.url));

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

describe('systemUsbProbe and usbSerial', () => {
  /** A sysfs folder of USB devices as Linux lays it out: devices, their interfaces, root hubs. */
  async function sysfs(): Promise<string> {
    const root = await tempDir('inswarm-sysfs-usb');
    const device = async (name: string, files: Record<string, string>) => {
      await mkdir(join(root, name), { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(join(root, name, file), `${text}\n`);
    };
    await device('usb1', { busnum: '1', devnum: '1', serial: '0000:00:14.0' });
    await device('1-1', { busnum: '1', devnum: '4', serial: '00008030-001A2B3C' });
    await device('1-1:1.0', { bInterfaceClass: '06' });
    await device('2-3', { busnum: '2', devnum: '11' }); // no serial
    return root;
  }

  it('finds the serial number of the device at a gphoto2 port, and none for other ports or devices without one', async () => {
    const root = await sysfs();
    expect(await usbSerial(root, 'usb:001,004')).toBe('00008030-001A2B3C');
    expect(await usbSerial(root, 'usb:002,011')).toBeNull();
    expect(await usbSerial(root, 'usb:003,001')).toBeNull();
    expect(await usbSerial(root, 'disk:/media/cam')).toBeNull();
    expect(await usbSerial(join(root, 'gone'), 'usb:001,004')).toBeNull();
  });

  it("gives gphoto2's cameras their serial numbers and reads the bus's signature from sysfs", async () => {
    const root = await sysfs();
    // gphoto2's recorded --auto-detect output stands in for the command (no camera is attached here).
    const fake = join(await tempDir('inswarm-fake-gphoto2'), 'gphoto2');
    await writeFile(fake, `#!/bin/sh\ncat '${join(FIXTURES, 'gphoto2-auto-detect-two.txt')}'\n`, { mode: 0o755 });
    const probe = systemUsbProbe(fake, root);
    expect(await probe.cameras()).toEqual([
      { model: 'Apple iPhone', port: 'usb:001,004', serial: '00008030-001A2B3C' },
      { model: 'Samsung Galaxy models (MTP)', port: 'usb:002,011' },
    ]);
    expect(await probe.signature()).toBe('1-1 1-1:1.0 2-3 usb1');
    expect(await systemUsbProbe(fake, null).signature()).toBeNull();
    expect(await systemUsbProbe(join(root, 'no-gphoto2-here'), root).cameras()).toEqual([]);
  });
});
