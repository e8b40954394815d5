// Keeps one broken view from blanking the window: the view's area says what failed, the
// navigation keeps working.

import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  readonly error: Error | null;
}

export class ErrorBoundary extends Component<{ readonly children: ReactNode; readonly name: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`The ${this.props.name} view failed`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <div className="state state-error" role="alert" data-testid="view-crash">
        <p className="state-title">The {this.props.name} view hit a problem and stopped: {this.state.error.message}</p>
        <div className="state-actions">
          <button type="button" className="button" onClick={() => this.setState({ error: null })}>
            Show it again
          </button>
        </div>
      </div>
    );
  }
}
