// Finding PTP cameras (iPhones, many Android phones, cameras) as they are plugged in, without
// running gphoto2 every few seconds: `gphoto2 --auto-detect` opens the USB bus, takes seconds on a
// busy one and may disturb a download from a camera. So it runs again only when the set of USB
// devices changed, which Linux shows cheaply as the entries of /sys/bus/usb/devices; where that
// cannot be read (macOS, Windows, a container), at most every PTP_REPROBE_MS.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gphoto2, parseAutoDetect, type PtpCamera } from './gphoto2.js';
import { which } from './which.js';

/** Where USB changes cannot be seen, how stale the camera list may get (a plug shows up within this). */
export const PTP_REPROBE_MS = 10_000;
/** Even when the bus looks the same, asked again this often (a device can change what it offers). */
export const PTP_RECHECK_MS = 60_000;
/** One entry per USB device and interface on Linux; it changes whenever one comes or goes. */
const LINUX_USB_DEVICES = '/sys/bus/usb/devices';

/** What is attached over USB, as the OS and gphoto2 tell it: the boundary a test stands in for. */
export interface UsbProbe {
  /** Differs whenever a USB device came or went; null where that cannot be read cheaply. */
  signature(): Promise<string | null>;
  /** The cameras gphoto2 detects now; [] without gphoto2; throws when gphoto2 fails. */
  cameras(): Promise<PtpCamera[]>;
}

/** This machine's USB bus, through `command` (gphoto2); `devices` is Linux's sysfs folder of USB devices. */
export function systemUsbProbe(command = 'gphoto2', devices: string | null = process.platform === 'linux' ? LINUX_USB_DEVICES : null): UsbProbe {
  return {
    async signature() {
      if (devices === null) return null;
      try {
        return (await readdir(devices)).sort().join(' ');
      } catch {
        return null;
      }
    },
    async cameras() {
      if ((await which(command)) === null) return [];
      const cameras = parseAutoDetect(await gphoto2(['--auto-detect'], { command }));
      return devices === null ? cameras : Promise.all(cameras.map(async (c) => withSerial(c, await usbSerial(devices, c.port))));
    },
  };
}

function withSerial(camera: PtpCamera, serial: string | null): PtpCamera {
  return serial === null ? camera : { ...camera, serial };
}

/**
 * The USB serial number of the device at gphoto2's port "usb:BBB,DDD" (bus and device number), from
 * sysfs; null for other ports, or when the device has none or is gone.
 */
export async function usbSerial(devices: string, port: string): Promise<string | null> {
  const m = /^usb:(\d+),(\d+)$/.exec(port);
  if (m === null) return null;
  const [bus, dev] = [Number(m[1]), Number(m[2])];
  const read = (entry: string, file: string) => readFile(join(devices, entry, file), 'utf8').then((t) => t.trim(), () => null);
  let entries: string[];
  try {
    entries = await readdir(devices);
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (entry.includes(':')) continue; // an interface, not a device
    if (Number(await read(entry, 'busnum')) !== bus || Number(await read(entry, 'devnum')) !== dev) continue;
    const serial = await read(entry, 'serial');
    return serial === null || serial === '' ? null : serial;
  }
  return null;
}

export interface CameraFinderOptions {
  /** True while a download from a camera runs: the list is not re-read then. */
  readonly busy?: () => boolean;
  readonly now?: () => number;
  readonly reprobeMs?: number;
}

/**
 * The PTP cameras attached, asking gphoto2 only when the USB devices changed or the last answer is
 * older than PTP_RECHECK_MS (PTP_REPROBE_MS where changes cannot be seen). Callers at the same time share one
 * gphoto2 run. A failing gphoto2 (a camera held by another program) keeps the last list.
 */
export class CameraFinder {
  private known: PtpCamera[] | null = null;
  private knownSignature: string | null = null;
  /** When the known list must be asked for again even if the bus looks the same. */
  private staleAt = -Infinity;
  private probing: Promise<PtpCamera[]> | null = null;
  private readonly now: () => number;
  private readonly reprobeMs: number;

  constructor(
    private readonly probe: UsbProbe,
    private readonly options: CameraFinderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.reprobeMs = options.reprobeMs ?? PTP_REPROBE_MS;
  }

  cameras(): Promise<PtpCamera[]> {
    this.probing ??= this.find().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private async find(): Promise<PtpCamera[]> {
    if (this.known !== null && this.options.busy?.() === true) return this.known;
    const signature = await this.probe.signature().catch(() => null);
    const now = this.now();
    if (this.known !== null && signature === this.knownSignature && now < this.staleAt) return this.known;
    this.knownSignature = signature;
    try {
      this.known = await this.probe.cameras();
      this.staleAt = now + (signature === null ? this.reprobeMs : PTP_RECHECK_MS);
    } catch {
      // Asked again once the bus changes or the interval passes, not on every call meanwhile.
      this.known ??= [];
      this.staleAt = now + this.reprobeMs;
    }
    return this.known;
  }
}
