// The numbers behind the Settings view: where the disk cap slider can go, and the limits form's
// text fields parsed into a caps change. Pure; the core checks every value again (caps.ts).

import { formatBytes } from '../../shared/format.js';
import { parseDuration, parseRate, parseSize } from '../../shared/units.js';
import type { CapsView } from '../../shared/status.js';

/** A slider with more stops than this is no finer to a hand, only slower with the arrow keys. */
export const SLIDER_MAX_STOPS = 200;
/** Donations are never finer than this: a megabyte holds no photo worth a stop of its own. */
export const SLIDER_MIN_STEP_BYTES = 1_000_000;
/** As the core allows (src/main/core/swarm/caps.ts MAX_REPLICAS, MAX_DELIVERIES, MAX_RETENTION_MS). */
export const REPLICAS_MIN = 1;
export const REPLICAS_MAX = 8;
export const DELIVERIES_MIN = 1;
export const DELIVERIES_MAX = 16;
export const RETENTION_MIN_MS = 60_000;
export const RETENTION_MAX_MS = 7 * 24 * 3600_000;
/** The core refuses bandwidth caps below 1 KiB/s: a cap that low is a mistake, not a choice. */
export const RATE_MIN_BPS = 1024;

/**
 * The most the slider offers: the free space above the floor, or the current cap when that is
 * higher (the held replicas already sit in the used space, so a cap above it can be right).
 */
export function donationMax(freeBytes: number, caps: Pick<CapsView, 'diskBytes' | 'floorBytes'>): number {
  return Math.max(caps.diskBytes, Math.max(0, freeBytes - caps.floorBytes));
}

/** The volume as the disk bar draws it: fractions of its total size, summing to 1. */
export interface VolumeParts {
  /** Used by anything (the system, files, copies already held). */
  readonly used: number;
  /** Free and above the floor: what donations may fill. */
  readonly donatable: number;
  /** Free but kept free by the floor. */
  readonly floor: number;
}

export function volumeParts(freeBytes: number, totalBytes: number, floorBytes: number): VolumeParts {
  const total = Math.max(1, totalBytes);
  const free = Math.min(total, Math.max(0, freeBytes));
  const floor = Math.min(free, Math.max(0, floorBytes));
  return { used: (total - free) / total, donatable: (free - floor) / total, floor: floor / total };
}

/** A round step (1, 2 or 5 × 10ⁿ bytes) giving at most SLIDER_MAX_STOPS stops up to `max`. */
export function sliderStep(max: number): number {
  const raw = Math.max(SLIDER_MIN_STEP_BYTES, max / SLIDER_MAX_STOPS);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** The slider's positions 0…stops(max); the last one is exactly `max`. */
export function sliderStops(max: number, step: number): number {
  return Math.ceil(max / step);
}

export function bytesAtStop(stop: number, step: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(stop) * step));
}

export function stopOfBytes(bytes: number, step: number, max: number): number {
  return bytes >= max ? sliderStops(max, step) : Math.round(bytes / step);
}

/** The limits form: what a person types. */
export interface LimitFields {
  readonly up: string;
  readonly down: string;
  readonly deliver: string;
  readonly floor: string;
  readonly retention: string;
  readonly replicas: string;
  readonly deliveries: string;
}
export type LimitField = keyof LimitFields;

function rateText(bps: number | null): string {
  return bps === null ? 'none' : `${formatBytes(bps)}/s`;
}

/** The form as the caps fill it. */
export function fieldsFromCaps(caps: CapsView): LimitFields {
  const hours = caps.retentionMs / 3600_000;
  return {
    up: rateText(caps.upBytesPerSec),
    down: rateText(caps.downBytesPerSec),
    deliver: rateText(caps.deliverBytesPerSec),
    floor: formatBytes(caps.floorBytes),
    retention: String(Math.round(hours * 100) / 100),
    replicas: String(caps.replicas),
    deliveries: String(caps.deliveries),
  };
}

/** Retention typed as hours ("12", "1.5") or as a duration ("30m", "2d"). */
export function parseRetention(text: string): number | null {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 3600_000);
  return parseDuration(text);
}

function parseCount(text: string, min: number, max: number): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

export interface LimitsChange {
  /** Only the fields that differ from `before`, parsed. */
  readonly patch: Partial<CapsView>;
  /** A sentence per field that does not parse; the patch is not to be sent while any exists. */
  readonly errors: Partial<Record<LimitField, string>>;
}

/** The caps change the form asks for. Fields left as they were are not sent (no rounding drift). */
export function parseLimits(fields: LimitFields, before: LimitFields): LimitsChange {
  const patch: { -readonly [K in keyof CapsView]?: CapsView[K] } = {};
  const errors: Partial<Record<LimitField, string>> = {};
  const changed = (k: LimitField) => fields[k].trim() !== before[k].trim();
  const rates = [
    ['up', 'upBytesPerSec', 'Upload'],
    ['down', 'downBytesPerSec', 'Download'],
    ['deliver', 'deliverBytesPerSec', 'Delivery'],
  ] as const;
  for (const [field, key, name] of rates) {
    if (!changed(field)) continue;
    const v = parseRate(fields[field]);
    if (v === undefined || (v !== null && v < RATE_MIN_BPS)) errors[field] = `${name} cap: type a rate of at least 1 KiB/s like "5MB/s", or "none".`;
    else patch[key] = v;
  }
  if (changed('floor')) {
    const v = parseSize(fields.floor);
    if (v === null) errors.floor = 'Floor: type a size like "10GB" or "500 MB".';
    else patch.floorBytes = v;
  }
  if (changed('retention')) {
    const v = parseRetention(fields.retention);
    if (v === null || v < RETENTION_MIN_MS || v > RETENTION_MAX_MS) errors.retention = 'Retention: type hours like "12", or a duration like "30m" or "2d", between 1 minute and 7 days.';
    else patch.retentionMs = v;
  }
  if (changed('replicas')) {
    const v = parseCount(fields.replicas, REPLICAS_MIN, REPLICAS_MAX);
    if (v === null) errors.replicas = `Replicas: type a whole number from ${REPLICAS_MIN} to ${REPLICAS_MAX}.`;
    else patch.replicas = v;
  }
  if (changed('deliveries')) {
    const v = parseCount(fields.deliveries, DELIVERIES_MIN, DELIVERIES_MAX);
    if (v === null) errors.deliveries = `Deliveries at once: type a whole number from ${DELIVERIES_MIN} to ${DELIVERIES_MAX}.`;
    else patch.deliveries = v;
  }
  return { patch, errors };
}
