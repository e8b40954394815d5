// Peers: who this laptop is linked to now, every peer it has heard of, the addresses added by
// hand (add and remove here), and this laptop's own device card as a QR code for another laptop.

import { useState, type FormEvent } from 'react';
import type { KnownPeerView, PeersView as Peers } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import { ApiError, type Bridge } from '../bridge.js';
import { useCall } from '../hooks.js';
import { Icon } from '../components/icons.js';
import { Panel } from '../components/panel.js';
import { QrImage } from '../components/qr-image.js';
import { EmptyState, ErrorState, LoadingState, Notice } from '../components/states.js';
import { formatAgo, formatRate, shortDeviceId } from '../components/time-format.js';
import { useNow } from '../components/use-now.js';

/** "Last seen" is re-read this often. */
const CLOCK_MS = 15_000;

const SOURCE_LABELS: Record<string, string> = { mdns: 'Found nearby', manual: 'Added by address', link: 'Linked to us' };

export function PeersView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const peers = useCall(bridge, 'peers', undefined, ['peer:up', 'peer:down', 'peer:seen', 'peer:lost']);
  // The reply to an add or remove is newer than the last refresh, until the next refresh lands.
  const [override, setOverride] = useState<{ readonly next: Peers; readonly over: Peers | null } | null>(null);
  const now = useNow(CLOCK_MS);
  const data = override !== null && override.over === peers.data ? override.next : peers.data;

  if (data === null) return peers.error !== null ? <ErrorState error={peers.error} onRetry={peers.refresh} /> : <LoadingState label="Looking for peers…" />;
  const onChanged = (next: Peers): void => {
    setOverride({ next, over: peers.data });
  };
  return (
    <div className="view-peers">
      {data.discoveryWarning !== null && (
        <Notice tone="warn" testId="discovery-warning">
          <Icon name="warn" size={18} /> <span>{data.discoveryWarning}</span>
        </Notice>
      )}
      {peers.error !== null && <ErrorState error={peers.error} onRetry={peers.refresh} />}
      <div className="grid grid-peers">
        <Panel title={`Linked now (${data.linked.length})`} className="span-2" testId="peers-linked">
          {data.linked.length === 0 ? (
            <EmptyState title="No peer is linked right now">Peers link by themselves when they are on the same network. If none show up, add one by address below.</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Device</th>
                    <th scope="col">Address</th>
                    <th scope="col" className="align-end">
                      Free space
                    </th>
                    <th scope="col" className="align-end">
                      Throughput
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.linked.map((p) => (
                    <tr key={p.deviceId} data-testid="peer-linked-row">
                      <td data-label="Name">
                        <span className="dot dot-good" aria-hidden="true" /> {p.name || 'Unnamed'}
                        <span className="muted small"> · {p.direction === 'in' ? 'they linked to us' : 'we linked to them'}</span>
                      </td>
                      <td data-label="Device">
                        <code title={p.deviceId}>{shortDeviceId(p.deviceId)}</code>
                      </td>
                      <td data-label="Address">
                        <code>{p.address}</code>
                      </td>
                      <td data-label="Free space" className="align-end">{formatBytes(p.freeBytes)}</td>
                      <td data-label="Throughput" className="align-end">{formatRate(p.throughputBps)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
        <Panel title={`Heard of (${data.known.length})`} className="span-2" testId="peers-known">
          {data.known.length === 0 ? (
            <EmptyState title="No peer heard of yet" />
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">How</th>
                    <th scope="col">Addresses</th>
                    <th scope="col">Last seen</th>
                    <th scope="col" className="align-end">
                      Free space
                    </th>
                    <th scope="col" className="align-end">
                      Throughput
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.known.map((p) => (
                    <KnownRow key={p.deviceId} peer={p} now={now} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
        <Panel title="Add a peer by address" testId="peers-manual">
          <AddPeerForm bridge={bridge} onChanged={onChanged} />
          <ManualList bridge={bridge} manual={data.manual} onChanged={onChanged} />
        </Panel>
        <DeviceCardPanel bridge={bridge} />
      </div>
    </div>
  );
}

function KnownRow(props: { readonly peer: KnownPeerView; readonly now: number }): React.JSX.Element {
  const p = props.peer;
  return (
    <tr data-testid="peer-known-row">
      <td data-label="Name">
        <span className={`dot ${p.linked ? 'dot-good' : 'dot-off'}`} aria-hidden="true" /> {p.name || 'Unnamed'}
        <span className="muted small"> · {p.linked ? 'linked' : 'not linked'}</span>
        <div className="muted small">
          <code title={p.deviceId}>{shortDeviceId(p.deviceId)}</code>
        </div>
      </td>
      <td data-label="How">{SOURCE_LABELS[p.source] ?? p.source}</td>
      <td data-label="Addresses">
        {p.addresses.length === 0
          ? '—'
          : p.addresses.map((a) => (
              <div key={a}>
                <code>{a}</code>
              </div>
            ))}
      </td>
      <td data-label="Last seen">
        <time dateTime={new Date(p.lastSeen).toISOString()}>{p.linked ? 'now' : formatAgo(p.lastSeen, props.now)}</time>
      </td>
      <td data-label="Free space" className="align-end">{p.freeBytes === null ? '—' : formatBytes(p.freeBytes)}</td>
      <td data-label="Throughput" className="align-end">{formatRate(p.throughputBps)}</td>
    </tr>
  );
}

function AddPeerForm(props: { readonly bridge: Bridge; readonly onChanged: (next: Peers) => void }): React.JSX.Element {
  const [address, setAddress] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const text = address.trim();
    if (text === '') {
      setError('Write the address first, e.g. 192.168.1.20:22000.');
      return;
    }
    setBusy(true);
    setError(null);
    setAdded(null);
    props.bridge.call('addPeer', { address: text }).then(
      (next) => {
        setBusy(false);
        setAddress('');
        setAdded(text);
        props.onChanged(next);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError ? err.message : 'The peer could not be added: try again.');
      },
    );
  };
  return (
    <form className="add-peer" onSubmit={submit} noValidate>
      <label htmlFor="peer-add-input">Address</label>
      <p id="peer-add-help" className="muted small">
        HOST:PORT, e.g. 192.168.1.20:22000, or DEVICE-ID@HOST:PORT to pin the device it must be.
      </p>
      <div className="input-row">
        <input
          id="peer-add-input"
          data-testid="peer-add-input"
          type="text"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          aria-describedby={error !== null ? 'peer-add-help peer-add-error' : 'peer-add-help'}
          aria-invalid={error !== null}
          placeholder="192.168.1.20:22000"
        />
        <button type="submit" className="button button-primary" disabled={busy} data-testid="peer-add-button">
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
      {error !== null && (
        <p id="peer-add-error" className="field-error" role="alert" data-testid="peer-add-error">
          {error}
        </p>
      )}
      {added !== null && (
        <p className="field-ok" role="status">
          Added {added}. It is dialled now and again whenever the link drops.
        </p>
      )}
    </form>
  );
}

function ManualList(props: { readonly bridge: Bridge; readonly manual: readonly string[]; readonly onChanged: (next: Peers) => void }): React.JSX.Element {
  const [error, setError] = useState<string | null>(null);
  if (props.manual.length === 0) return <p className="muted small">No address added by hand.</p>;
  const remove = (address: string): void => {
    setError(null);
    props.bridge.call('removePeer', { address }).then(props.onChanged, (err: unknown) => setError(err instanceof ApiError ? err.message : 'The address could not be removed: try again.'));
  };
  return (
    <>
      <ul className="manual-list" aria-label="Addresses added by hand" data-testid="peer-manual-list">
        {props.manual.map((a) => (
          <li key={a}>
            <code>{a}</code>
            <button type="button" className="button button-quiet" onClick={() => remove(a)} aria-label={`Remove ${a}`} data-testid="peer-remove">
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error !== null && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function DeviceCardPanel(props: { readonly bridge: Bridge }): React.JSX.Element {
  const card = useCall(props.bridge, 'deviceCard', undefined);
  const [copied, setCopied] = useState(false);
  const copy = (text: string): void => {
    navigator.clipboard?.writeText(text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <Panel title="This laptop" testId="device-card">
      {card.data === null ? (
        card.error !== null ? (
          <ErrorState error={card.error} onRetry={card.refresh} />
        ) : (
          <LoadingState />
        )
      ) : (
        <div className="device-card">
          <QrImage svg={card.data.svg} label={`QR code of this laptop's device ID ${card.data.text}`} testId="device-qr" />
          <div>
            <p className="muted small">Device ID. Another laptop scans this, or adds this one as ID@address to be sure it links to this laptop only.</p>
            <code className="device-id" data-testid="device-id">
              {card.data.text}
            </code>
            <div>
              <button type="button" className="button" onClick={() => copy(card.data!.text)}>
                {copied ? 'Copied' : 'Copy ID'}
              </button>
            </div>
          </div>
        </div>
      )}
    </Panel>
  );
}
