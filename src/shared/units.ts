// Parsing of the sizes, rates and durations people type ("10GiB", "5MB/s", "12h"). Pure; every
// failure is null so callers word the error for their context.

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, min: 60e3, h: 3600e3, d: 86400e3 };

/** "10GiB", "500 MB", "1.5g", "1024" (bytes) → bytes; null when not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (m === null) return null;
  const factor = m[2] === '' ? 1 : SIZE_UNITS[m[2]!.toLowerCase()];
  if (factor === undefined) return null;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** "5MB/s", "800KiB/s", "none"/"off"/"unlimited" → bytes per second or null for no cap; undefined when invalid. */
export function parseRate(text: string): number | null | undefined {
  if (/^\s*(none|off|unlimited|0)\s*$/i.test(text)) return null;
  const m = /^(.*?)(?:\/s|ps)?\s*$/i.exec(text);
  const bytes = m === null ? null : parseSize(m[1]!);
  return bytes === null || bytes === 0 ? undefined : bytes;
}

/** "12h", "30m", "90s", "1d" → milliseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (m === null) return null;
  const factor = DURATION_UNITS[m[2]!.toLowerCase()];
  return factor === undefined ? null : Math.round(Number(m[1]) * factor);
}
