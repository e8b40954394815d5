// A small live line chart of transfer rates: one line per series, newest on the right. Plain SVG,
// stretched to its box; the labels are HTML so they stay crisp at any width.

import { areaPath, linePath, niceMax } from './chart-math.js';
import { formatRate } from './time-format.js';

export interface RateSeries {
  readonly label: string;
  /** Bytes per second, oldest first. */
  readonly values: readonly number[];
  /** CSS class choosing its colour (series-up, series-down, series-deliver). */
  readonly className: string;
}

export interface RateChartProps {
  readonly series: readonly RateSeries[];
  /** Samples the x axis spans. */
  readonly capacity: number;
  /** Time between samples, to say how long the chart covers. */
  readonly intervalMs: number;
  readonly testId?: string;
}

/** The drawing box; the SVG stretches it to the element's size. */
const WIDTH = 600;
const HEIGHT = 160;

export function RateChart(props: RateChartProps): React.JSX.Element {
  const peak = Math.max(0, ...props.series.flatMap((s) => s.values));
  const max = niceMax(peak);
  const box = { width: WIDTH, height: HEIGHT, capacity: props.capacity, max };
  const span = Math.round((props.capacity * props.intervalMs) / 1000);
  const current = props.series.map((s) => `${s.label} ${formatRate(s.values[s.values.length - 1] ?? 0)}`).join(', ');
  return (
    <figure className="rate-chart" data-testid={props.testId}>
      <div className="rate-chart-plot">
        <div className="rate-chart-axis" aria-hidden="true">
          <span>{formatRate(max)}</span>
          <span>{formatRate(max / 2)}</span>
          <span>0</span>
        </div>
        <div className="rate-chart-canvas">
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={`Transfer rates over the last ${span} seconds: ${current}`}>
          <line className="chart-grid" x1="0" x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} vectorEffect="non-scaling-stroke" />
          <line className="chart-grid" x1="0" x2={WIDTH} y1="0.5" y2="0.5" vectorEffect="non-scaling-stroke" />
          <line className="chart-baseline" x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} vectorEffect="non-scaling-stroke" />
          {props.series.map((s) => (
            <g key={s.label} className={s.className}>
              <path className="area" d={areaPath(s.values, box)} />
              <path className="line" d={linePath(s.values, box)} vectorEffect="non-scaling-stroke" />
            </g>
          ))}
        </svg>
        </div>
      </div>
      <figcaption className="rate-chart-legend">
        {props.series.map((s) => (
          <span key={s.label} className={`legend-item ${s.className}`}>
            <span className="legend-swatch" aria-hidden="true" />
            {s.label} <strong>{formatRate(s.values[s.values.length - 1] ?? 0)}</strong>
          </span>
        ))}
        <span className="legend-span">last {span >= 120 ? `${Math.round(span / 60)} min` : `${span} s`}</span>
      </figcaption>
    </figure>
  );
}
