// A titled section of a view.

import type { ReactNode } from 'react';

export function Panel(props: {
  readonly title: string;
  readonly children: ReactNode;
  readonly actions?: ReactNode;
  readonly className?: string;
  readonly testId?: string;
}): React.JSX.Element {
  const id = `panel-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className={`panel${props.className === undefined ? '' : ` ${props.className}`}`} aria-labelledby={id} data-testid={props.testId}>
      <header className="panel-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions !== undefined && <div className="panel-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A big number with its label, for summaries. */
export function Stat(props: { readonly label: string; readonly value: ReactNode; readonly detail?: ReactNode; readonly testId?: string }): React.JSX.Element {
  return (
    <div className="stat" data-testid={props.testId}>
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
      {props.detail !== undefined && <div className="stat-detail">{props.detail}</div>}
    </div>
  );
}
