// The live rate chart's geometry: a ring of samples and the SVG paths drawn from it. Pure, so the
// chart component only draws and the tests check the numbers.

/** Appends a sample, keeping the newest `capacity`. */
export function pushSample<T>(samples: readonly T[], sample: T, capacity: number): T[] {
  const next = samples.length >= capacity ? samples.slice(samples.length - capacity + 1) : samples.slice();
  next.push(sample);
  return next;
}

/** A round top for the y axis at or above `value`: 1, 2 or 5 times a power of ten (bytes/s). */
export function niceMax(value: number, floor = 1000): number {
  const v = Math.max(value, floor);
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= v) return step * power;
  }
  return 10 * power;
}

export interface ChartBox {
  readonly width: number;
  readonly height: number;
  /** Samples the x axis holds; the newest sample sits on the right edge. */
  readonly capacity: number;
  /** Value at the top edge. */
  readonly max: number;
}

/** Points of a series, right-aligned: the newest at x = width, one step apart. */
export function seriesPoints(values: readonly number[], box: ChartBox): { x: number; y: number }[] {
  const step = box.capacity > 1 ? box.width / (box.capacity - 1) : 0;
  const start = box.width - (values.length - 1) * step;
  return values.map((v, i) => {
    const clamped = Math.min(Math.max(Number.isFinite(v) ? v : 0, 0), box.max);
    return { x: round(start + i * step), y: round(box.height - (clamped / box.max) * box.height) };
  });
}

/** The `d` of the series' line; empty with fewer than two samples. */
export function linePath(values: readonly number[], box: ChartBox): string {
  if (values.length < 2) return '';
  return seriesPoints(values, box)
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`)
    .join(' ');
}

/** The `d` of the area under the series' line, closed along the bottom edge. */
export function areaPath(values: readonly number[], box: ChartBox): string {
  if (values.length < 2) return '';
  const points = seriesPoints(values, box);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return `${linePath(values, box)} L${last.x} ${box.height} L${first.x} ${box.height} Z`;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
