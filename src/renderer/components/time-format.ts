// How the window says durations, times and rates. Pure.

import { formatBytes } from '../../shared/format.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Time left until something happens: "expired", "45 s", "12 min", "3 h 05 min", "2 d 4 h". */
export function formatCountdown(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'expired';
  if (ms < MINUTE) return `${Math.ceil(ms / 1000)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const h = Math.floor(ms / HOUR);
    const m = Math.floor((ms % HOUR) / MINUTE);
    return `${h} h ${String(m).padStart(2, '0')} min`;
  }
  const d = Math.floor(ms / DAY);
  const h = Math.floor((ms % DAY) / HOUR);
  return h === 0 ? `${d} d` : `${d} d ${h} h`;
}

/** A configured length of time, without zero parts: "12 h", "45 min", "1 d 6 h", "90 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 s';
  if (ms >= HOUR && ms < DAY && ms % HOUR < MINUTE) return `${Math.floor(ms / HOUR)} h`;
  return formatCountdown(ms);
}

/** How long ago: "just now", "4 min ago", "2 h ago", "3 d ago"; "never" for 0 or less. */
export function formatAgo(at: number, now: number): string {
  if (!Number.isFinite(at) || at <= 0) return 'never';
  const ms = now - at;
  if (ms < MINUTE) return 'just now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  return `${Math.floor(ms / DAY)} d ago`;
}

/** A rate in bytes per second: "0 B/s", "1.2 MB/s". */
export function formatRate(bytesPerSec: number | null | undefined): string {
  if (bytesPerSec === null || bytesPerSec === undefined || !Number.isFinite(bytesPerSec)) return '—';
  return `${formatBytes(Math.max(0, bytesPerSec))}/s`;
}

/** A clock time for a log line: "14:03:27" today, else "12 Mar 14:03". */
export function formatClock(at: number, now: number): string {
  const d = new Date(at);
  const today = new Date(now);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === today.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${time}`;
}

/** A short form of a device ID (AAAAAAA-BBBBBBB-…): its first group. */
export function shortDeviceId(deviceId: string): string {
  return deviceId.split('-')[0] ?? deviceId.slice(0, 7);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
