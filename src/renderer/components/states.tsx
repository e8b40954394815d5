// What a view shows instead of its content: loading, nothing yet, or an error in plain words.

import type { ReactNode } from 'react';
import type { ApiError } from '../bridge.js';

export function LoadingState(props: { readonly label?: string }): React.JSX.Element {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}

export function EmptyState(props: { readonly title: string; readonly children?: ReactNode; readonly testId?: string }): React.JSX.Element {
  return (
    <div className="state state-empty" data-testid={props.testId}>
      <p className="state-title">{props.title}</p>
      {props.children !== undefined && <div className="state-body">{props.children}</div>}
    </div>
  );
}

/** An error the core reported: its sentence, its code in small print, and a way to try again. */
export function ErrorState(props: { readonly error: ApiError | Error; readonly onRetry?: () => void; readonly testId?: string }): React.JSX.Element {
  const code = 'code' in props.error && typeof props.error.code === 'string' ? props.error.code : null;
  return (
    <div className="state state-error" role="alert" data-testid={props.testId ?? 'error'}>
      <p className="state-title">{props.error.message}</p>
      <div className="state-actions">
        {code !== null && <span className="error-code">{code}</span>}
        {props.onRetry !== undefined && (
          <button type="button" className="button" onClick={props.onRetry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}

/** A short notice inside a view (a warning or a failed action), announced when it appears. */
export function Notice(props: { readonly tone: 'warn' | 'bad' | 'good' | 'info'; readonly children: ReactNode; readonly testId?: string }): React.JSX.Element {
  return (
    <div className={`notice notice-${props.tone}`} role={props.tone === 'bad' ? 'alert' : 'status'} data-testid={props.testId}>
      {props.children}
    </div>
  );
}
