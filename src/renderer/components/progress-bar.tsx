// A labelled progress bar that screen readers announce (role=progressbar with its value).

export interface ProgressBarProps {
  readonly value: number;
  readonly max: number;
  /** What is progressing, for screen readers ("Blob 3fa2… received"). */
  readonly label: string;
  /** How the value reads aloud ("1.2 MB of 4 MB"); defaults to the percentage. */
  readonly valueText?: string;
  readonly tone?: 'accent' | 'good' | 'bad' | 'muted';
  readonly size?: 'small' | 'normal';
  readonly testId?: string;
}

export function ProgressBar(props: ProgressBarProps): React.JSX.Element {
  const max = props.max > 0 ? props.max : 1;
  const value = Math.min(Math.max(props.value, 0), max);
  const percent = Math.round((value / max) * 100);
  return (
    <div
      className={`progress progress-${props.size ?? 'normal'} tone-${props.tone ?? 'accent'}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value}
      aria-valuetext={props.valueText ?? `${percent}%`}
      data-testid={props.testId}
    >
      <div className="progress-fill" style={{ width: `${(value / max) * 100}%` }} />
    </div>
  );
}
