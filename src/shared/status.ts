// The node's status as the CLI (--json), the headless bridge and the UI see it. Plain JSON.

export interface StateTotalView {
  readonly state: string;
  readonly count: number;
  readonly bytes: number;
}

export interface NodeStatusView {
  readonly deviceId: string;
  readonly dataDir: string;
  readonly destination: { readonly label: string; readonly recipient: string } | null;
  readonly outbox: readonly StateTotalView[];
  readonly held: readonly StateTotalView[];
}
