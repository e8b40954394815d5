// Donated disk: bytes held for others against the cap, with a marker where the free-disk floor
// stops donations first. Announced as a meter with its values in words.

import { formatBytes } from '../../shared/format.js';
import { diskGeometry, type DiskInput } from './disk-math.js';

export interface BytesBarProps extends DiskInput {
  readonly label: string;
  readonly testId?: string;
}

export function BytesBar(props: BytesBarProps): React.JSX.Element {
  const g = diskGeometry(props);
  const text = `${formatBytes(props.used)} of ${formatBytes(props.cap)} used, ${formatBytes(g.available)} still available`;
  return (
    <div className="bytes-bar-wrap">
      <div
        className={`bytes-bar${g.full ? ' is-full' : ''}`}
        role="meter"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={Math.max(props.cap, props.used)}
        aria-valuenow={props.used}
        aria-valuetext={text}
        data-testid={props.testId}
      >
        <div className="bytes-bar-used" style={{ width: `${g.used * 100}%` }} />
        {g.floorAt !== null && (
          <>
            <div className="bytes-bar-blocked" style={{ left: `${g.floorAt * 100}%` }} />
            <div className="bytes-bar-floor" style={{ left: `${g.floorAt * 100}%` }} data-testid={props.testId === undefined ? undefined : `${props.testId}-floor`} />
          </>
        )}
      </div>
      <div className="bytes-bar-legend">
        <span>
          <span className="swatch swatch-used" aria-hidden="true" /> {formatBytes(props.used)} held
        </span>
        <span>{formatBytes(g.available)} free to donate</span>
        <span>cap {formatBytes(props.cap)}</span>
      </div>
      {g.floorAt !== null && (
        <p className="hint">
          <span className="swatch swatch-floor" aria-hidden="true" /> The disk has {formatBytes(props.free)} free and keeps at least {formatBytes(props.floor)} free, so less than
          the cap can be donated right now.
        </p>
      )}
    </div>
  );
}
