// Time left until a moment, as text that the parent's clock keeps current.

import { formatCountdown } from './time-format.js';

export function Countdown(props: { readonly until: number; readonly now: number }): React.JSX.Element {
  const left = props.until - props.now;
  return (
    <time className={left <= 0 ? 'countdown is-over' : left < 3_600_000 ? 'countdown is-soon' : 'countdown'} dateTime={new Date(props.until).toISOString()}>
      {formatCountdown(left)}
    </time>
  );
}
