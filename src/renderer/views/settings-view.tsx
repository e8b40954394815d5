// Settings: what this device donates (disk, bandwidth, time), how many copies its own files get,
// which networks are home, where deliveries go, and this device's ID to pair with.

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { SettingsView as SettingsData } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import type { CapsView } from '../../shared/status.js';
import { ApiError, type Bridge } from '../bridge.js';
import { useCall } from '../hooks.js';
import { Panel } from '../components/panel.js';
import { ErrorState, LoadingState, Notice } from '../components/states.js';
import {
  DELIVERIES_MAX,
  DELIVERIES_MIN,
  REPLICAS_MAX,
  REPLICAS_MIN,
  bytesAtStop,
  donationMax,
  fieldsFromCaps,
  parseLimits,
  sliderStep,
  sliderStops,
  stopOfBytes,
  volumeParts,
  type LimitField,
  type LimitFields,
} from './settings-caps.js';
import { CardQr } from './settings-qr.js';
import './views-b.css';

/** The slider saves once the hand rests this long, not on every pixel of a drag. */
const CAP_COMMIT_DELAY_MS = 500;
/** An inswarm:// card link longer than this is not a card (the core says the same, in its words). */
const CARD_LINK_MAX_CHARS = 4096;

type Status = { readonly kind: 'idle' | 'busy' | 'done' | 'error'; readonly text: string };
const IDLE: Status = { kind: 'idle', text: '' };

export function SettingsView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const settings = useCall(bridge, 'settings', undefined, ['caps:changed', 'network:changed']);
  // The caps a save answered with, shown until the next fetch brings the same (no flicker back).
  const [savedCaps, setSavedCaps] = useState<CapsView | null>(null);
  useEffect(() => setSavedCaps(null), [settings.data]);
  const data = settings.data;
  const onCaps = (caps: CapsView): void => {
    setSavedCaps(caps);
    settings.refresh();
  };

  if (data === null) return settings.error !== null ? <ErrorState error={settings.error} onRetry={settings.refresh} /> : <LoadingState label="Loading settings…" />;
  const caps = savedCaps ?? data.caps;
  return (
    <div className="view-settings">
      {settings.error !== null && (
        <Notice tone="bad" testId="settings-stale">
          {settings.error.message} The settings below are from the last answer.
        </Notice>
      )}
      <div className="grid">
        <DiskCapSection bridge={bridge} data={data} caps={caps} onSaved={onCaps} />
        <LimitsSection bridge={bridge} caps={caps} onSaved={onCaps} />
        <HomesSection bridge={bridge} data={data} onChanged={settings.refresh} />
        <DeviceSection bridge={bridge} deviceId={data.deviceId} />
        <DestinationsSection bridge={bridge} data={data} onChanged={settings.refresh} />
      </div>
    </div>
  );
}

function DiskCapSection(props: { readonly bridge: Bridge; readonly data: SettingsData; readonly caps: CapsView; readonly onSaved: (caps: CapsView) => void }): React.JSX.Element {
  const { bridge, data, caps, onSaved } = props;
  const id = useId();
  const max = donationMax(data.volume.freeBytes, caps);
  const step = sliderStep(max);
  const stops = sliderStops(max, step);
  const [draft, setDraft] = useState<number | null>(null);
  const [status, setStatus] = useState<Status>(IDLE);
  const pending = useRef<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const shown = draft ?? caps.diskBytes;

  const commit = (bytes: number): void => {
    setStatus({ kind: 'busy', text: 'Saving…' });
    bridge.call('setCaps', { diskBytes: bytes }).then(
      (next) => {
        setStatus({ kind: 'done', text: `Saved: donating up to ${formatBytes(next.diskBytes)}.` });
        onSaved(next);
        // A newer drag keeps its own draft.
        setDraft((d) => (d === bytes ? null : d));
      },
      (err: unknown) => {
        setStatus({ kind: 'error', text: messageOf(err) });
        setDraft((d) => (d === bytes ? null : d));
      },
    );
  };
  const flush = (): void => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    const bytes = pending.current;
    pending.current = null;
    if (bytes !== null) commit(bytes);
  };
  const flushRef = useRef(flush);
  flushRef.current = flush;
  // Leaving the view mid-drag still saves what the slider shows.
  useEffect(() => () => flushRef.current(), []);

  const onInput = (stop: number): void => {
    const bytes = bytesAtStop(stop, step, max);
    setDraft(bytes);
    pending.current = bytes;
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => flushRef.current(), CAP_COMMIT_DELAY_MS);
  };

  const free = data.volume.freeBytes;
  const aboveFloor = Math.max(0, free - caps.floorBytes);
  return (
    <Panel title="Donated disk" className="span-2" testId="settings-disk">
      <div className="settings-slider">
        <label htmlFor={`${id}-s`}>
          Hold up to <strong data-testid="disk-cap-value">{formatBytes(shown)}</strong> for people nearby
        </label>
        <input
          id={`${id}-s`}
          type="range"
          min={0}
          max={Math.max(stops, 1)}
          step={1}
          value={stopOfBytes(shown, step, max)}
          disabled={stops === 0}
          data-testid="disk-cap-slider"
          data-bytes={shown}
          aria-valuetext={formatBytes(shown)}
          aria-describedby={`${id}-c`}
          onChange={(e) => onInput(Number(e.currentTarget.value))}
          onPointerUp={flush}
          onKeyUp={(e) => {
            if (e.key === 'Enter') flush();
          }}
          onBlur={flush}
        />
        <div className="settings-scale muted small" aria-hidden="true">
          <span>0</span>
          <span>{formatBytes(max)}</span>
        </div>
      </div>
      <VolumeBar free={free} total={data.volume.totalBytes} floor={caps.floorBytes} />
      <p id={`${id}-c`} className="hint" data-testid="disk-cap-caption">
        {formatBytes(free)} free of {formatBytes(data.volume.totalBytes)} on this disk. The floor keeps {formatBytes(caps.floorBytes)} free whatever happens, so the slider
        goes up to the free space above it: {formatBytes(aboveFloor)}
        {max > aboveFloor ? `, or your current cap of ${formatBytes(caps.diskBytes)}, part of which copies already use` : ''}.
      </p>
      <StatusLine status={status} testId="disk-cap-status" />
    </Panel>
  );
}

/** This disk at a glance: used, free to donate, kept free by the floor. */
function VolumeBar(props: { readonly free: number; readonly total: number; readonly floor: number }): React.JSX.Element {
  const parts = volumeParts(props.free, props.total, props.floor);
  const floor = Math.min(props.free, props.floor);
  const pct = (f: number): string => `${(f * 100).toFixed(2)}%`;
  return (
    <div className="settings-volume">
      <div
        className="settings-volume-bar"
        role="img"
        aria-label={`This disk: ${formatBytes(props.total - props.free)} used, ${formatBytes(props.free - floor)} free above the floor, ${formatBytes(floor)} kept free by the floor`}
        data-testid="volume-bar"
      >
        <span className="settings-volume-used" style={{ width: pct(parts.used) }} />
        <span className="settings-volume-free" style={{ width: pct(parts.donatable) }} />
        <span className="settings-volume-floor" style={{ width: pct(parts.floor) }} />
      </div>
      <div className="bytes-bar-legend" aria-hidden="true">
        <span>
          <span className="swatch settings-swatch-used" /> used {formatBytes(props.total - props.free)}
        </span>
        <span>
          <span className="swatch settings-swatch-free" /> free above the floor {formatBytes(props.free - floor)}
        </span>
        <span>
          <span className="swatch swatch-floor" /> floor {formatBytes(floor)}
        </span>
      </div>
    </div>
  );
}

const LIMIT_INPUTS: readonly { readonly field: LimitField; readonly label: string; readonly hint: string; readonly inputMode?: 'numeric' | 'decimal' }[] = [
  { field: 'up', label: 'Upload cap', hint: 'Shared by all links to people nearby, e.g. 5MB/s, or none.' },
  { field: 'down', label: 'Download cap', hint: 'For copies received from others, e.g. 20MB/s, or none.' },
  { field: 'deliver', label: 'Delivery cap', hint: 'Your home uplink for deliveries, e.g. 2MB/s, or none.' },
  { field: 'floor', label: 'Always keep free (floor)', hint: 'No copy is accepted that would leave less free disk, e.g. 10GB.' },
  { field: 'retention', label: 'Keep copies for (hours)', hint: 'Others’ copies are deleted after this, delivered or not: 1 minute to 7 days.', inputMode: 'decimal' },
  { field: 'replicas', label: 'Holders for each of my files', hint: `How many people nearby get a copy of each of your files (${REPLICAS_MIN}–${REPLICAS_MAX}).`, inputMode: 'numeric' },
  { field: 'deliveries', label: 'Deliveries at once', hint: `Uploads side by side when home (${DELIVERIES_MIN}–${DELIVERIES_MAX}).`, inputMode: 'numeric' },
];

function LimitsSection(props: { readonly bridge: Bridge; readonly caps: CapsView; readonly onSaved: (caps: CapsView) => void }): React.JSX.Element {
  const { bridge, caps, onSaved } = props;
  const id = useId();
  const base = fieldsFromCaps(caps);
  const baseKey = JSON.stringify(base);
  const [fields, setFields] = useState<LimitFields>(base);
  const [shownBase, setShownBase] = useState<LimitFields>(base);
  const [errors, setErrors] = useState<Partial<Record<LimitField, string>>>({});
  const [status, setStatus] = useState<Status>(IDLE);

  // Caps changed elsewhere (the slider, the CLI): follow them unless the person is editing.
  useEffect(() => {
    setFields((f) => (JSON.stringify(f) === JSON.stringify(shownBase) ? base : f));
    setShownBase(base);
  }, [baseKey]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const change = parseLimits(fields, shownBase);
    setErrors(change.errors);
    if (Object.keys(change.errors).length > 0) {
      setStatus({ kind: 'error', text: 'Some limits need fixing: see the fields marked in red.' });
      return;
    }
    if (Object.keys(change.patch).length === 0) {
      setStatus({ kind: 'done', text: 'Nothing changed.' });
      return;
    }
    setStatus({ kind: 'busy', text: 'Saving…' });
    bridge.call('setCaps', change.patch).then(
      (next) => {
        const nextFields = fieldsFromCaps(next);
        setFields(nextFields);
        setShownBase(nextFields);
        setStatus({ kind: 'done', text: 'Saved.' });
        onSaved(next);
      },
      (err: unknown) => setStatus({ kind: 'error', text: messageOf(err) }),
    );
  };

  return (
    <Panel title="Limits" className="span-2" testId="settings-limits">
      <form onSubmit={submit} noValidate data-testid="limits-form">
        <div className="settings-fields">
          {LIMIT_INPUTS.map(({ field, label, hint, inputMode }) => {
            const err = errors[field];
            return (
              <div key={field} className="settings-field">
                <label htmlFor={`${id}-${field}`}>{label}</label>
                <input
                  id={`${id}-${field}`}
                  type="text"
                  name={field}
                  value={fields[field]}
                  inputMode={inputMode}
                  autoComplete="off"
                  spellCheck={false}
                  data-testid={`limit-${field}`}
                  aria-invalid={err !== undefined}
                  aria-describedby={`${id}-${field}-h${err !== undefined ? ` ${id}-${field}-e` : ''}`}
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    setFields((f) => ({ ...f, [field]: v }));
                  }}
                />
                <span id={`${id}-${field}-h`} className="muted small">
                  {hint}
                </span>
                {err !== undefined && (
                  <span id={`${id}-${field}-e`} className="field-error" data-testid={`limit-${field}-error`}>
                    {err}
                  </span>
                )}
              </div>
            );
          })}
        </div>
        <div className="settings-actions">
          <button type="submit" className="button button-primary" disabled={status.kind === 'busy'} data-testid="limits-save">
            Save limits
          </button>
          <StatusLine status={status} testId="limits-status" />
        </div>
      </form>
    </Panel>
  );
}

function HomesSection(props: { readonly bridge: Bridge; readonly data: SettingsData; readonly onChanged: () => void }): React.JSX.Element {
  const { bridge, data, onChanged } = props;
  const id = useId();
  const [label, setLabel] = useState('');
  const [status, setStatus] = useState<Status>(IDLE);
  const net = data.network;
  const known = net !== null && (net.ssid !== null || net.gatewayMac !== null);
  const home = net?.home ?? null;

  const run = (p: Promise<unknown>, done: string): void => {
    setStatus({ kind: 'busy', text: 'Saving…' });
    p.then(
      () => {
        setStatus({ kind: 'done', text: done });
        onChanged();
      },
      (err: unknown) => setStatus({ kind: 'error', text: messageOf(err) }),
    );
  };
  const markHome = (e: FormEvent): void => {
    e.preventDefault();
    const l = label.trim();
    run(bridge.call('markHome', l === '' ? {} : { label: l }), 'This network is home now: deliveries start here.');
    setLabel('');
  };

  return (
    <Panel title="Home networks" testId="settings-homes">
      <p data-testid="current-network" data-home={home ?? ''}>
        {net === null
          ? 'The current network has not been identified yet.'
          : !known
            ? 'This laptop is on no network it can recognise (no Wi-Fi name and no gateway).'
            : `Now on ${net.ssid !== null ? `“${net.ssid}”` : 'a wired network'}${net.gatewayMac !== null ? ` (gateway ${net.gatewayMac})` : ''}.`}
      </p>
      {home !== null ? (
        <p className="settings-home-here" data-testid="is-home">
          This is your home network “{home}”: deliveries run here.
        </p>
      ) : (
        <form className="settings-mark-home" onSubmit={markHome} noValidate>
          <label htmlFor={`${id}-l`}>Name for it (optional)</label>
          <div className="input-row">
            <input id={`${id}-l`} type="text" value={label} placeholder={net?.ssid ?? 'Home'} maxLength={100} autoComplete="off" onChange={(e) => setLabel(e.currentTarget.value)} />
            <button type="submit" className="button button-primary" data-testid="mark-home" disabled={!known || status.kind === 'busy'}>
              This network is home
            </button>
          </div>
        </form>
      )}
      {data.homes.length === 0 ? (
        <p className="muted">No home networks yet. Deliveries start when this laptop joins one.</p>
      ) : (
        <ul className="manual-list" aria-label="Home networks">
          {data.homes.map((h) => (
            <li key={h.id} data-testid="home-network">
              <span>
                <strong>{h.label}</strong>{' '}
                <span className="muted small">
                  {[h.ssid !== null ? `Wi-Fi “${h.ssid}”` : null, h.gatewayMac !== null ? `gateway ${h.gatewayMac}` : null].filter((x) => x !== null).join(' · ')}
                </span>
              </span>
              <button
                type="button"
                className="button button-quiet"
                data-testid="remove-home"
                aria-label={`Remove home network ${h.label}`}
                disabled={status.kind === 'busy'}
                onClick={() => run(bridge.call('removeHome', { id: h.id }), `Removed “${h.label}”.`)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <StatusLine status={status} testId="homes-status" />
    </Panel>
  );
}

function DestinationsSection(props: { readonly bridge: Bridge; readonly data: SettingsData; readonly onChanged: () => void }): React.JSX.Element {
  const { bridge, data, onChanged } = props;
  const id = useId();
  const [open, setOpen] = useState<string | null>(null);
  const [link, setLink] = useState('');
  const [makeDefault, setMakeDefault] = useState(data.destinations.length === 0);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [linkError, setLinkError] = useState<string | null>(null);

  const importCard = (e: FormEvent): void => {
    e.preventDefault();
    const text = link.trim();
    setDone(null);
    if (!text.toLowerCase().startsWith('inswarm://') || text.length > CARD_LINK_MAX_CHARS) {
      setLinkError('Paste the whole link that starts with inswarm://, as the receiver shows it under its QR code.');
      return;
    }
    setLinkError(null);
    setBusy(true);
    bridge.call('importCard', { link: text, makeDefault }).then(
      (next) => {
        const before = new Set(data.destinations.map((d) => d.label));
        const added = next.destinations.find((d) => !before.has(d.label));
        setBusy(false);
        setDone(added !== undefined ? `Imported “${added.label}”.` : 'Imported.');
        setLink('');
        onChanged();
      },
      (err: unknown) => {
        setBusy(false);
        setLinkError(messageOf(err));
      },
    );
  };

  return (
    <Panel title="Destinations" className="span-2" testId="settings-destinations">
      {data.destinations.length === 0 ? (
        <p className="muted">No destination yet: import the card your home receiver or bucket shows. Your files are sealed so only it can open them.</p>
      ) : (
        <ul className="manual-list settings-destinations" aria-label="Destinations">
          {data.destinations.map((d, i) => (
            <li key={d.label} data-testid="destination">
              <span className="settings-destination">
                <span>
                  <strong>{d.label}</strong> {d.isDefault && <span className="badge badge-held">default</span>}{' '}
                  <span className="muted small">{[d.kind, d.where].filter((x) => x !== null && x !== '').join(' · ')}</span>
                </span>
                <code className="muted small" title={d.recipient}>
                  {d.recipient.length > 28 ? `${d.recipient.slice(0, 18)}…${d.recipient.slice(-6)}` : d.recipient}
                </code>
              </span>
              <button
                type="button"
                className="button"
                aria-expanded={open === d.label}
                aria-controls={`${id}-qr-${i}`}
                aria-label={`${open === d.label ? 'Hide' : 'Show'} the card of ${d.label}`}
                data-testid="destination-qr-toggle"
                onClick={() => setOpen(open === d.label ? null : d.label)}
              >
                {open === d.label ? 'Hide card' : 'Show card'}
              </button>
              {open === d.label && (
                <div id={`${id}-qr-${i}`} className="settings-destination-card">
                  <DestinationCard bridge={bridge} label={d.label} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="add-peer" onSubmit={importCard} noValidate>
        <label htmlFor={`${id}-link`}>Import a destination card</label>
        <p id={`${id}-link-h`} className="muted small">
          Paste the inswarm:// link your home receiver (inswarm receive) or your bucket setup shows.
        </p>
        <textarea
          id={`${id}-link`}
          className="settings-card-input"
          rows={3}
          value={link}
          placeholder="inswarm://…"
          spellCheck={false}
          autoComplete="off"
          data-testid="import-card-input"
          aria-invalid={linkError !== null}
          aria-describedby={linkError !== null ? `${id}-link-h ${id}-link-e` : `${id}-link-h`}
          onChange={(e) => setLink(e.currentTarget.value)}
        />
        <label className="check">
          <input type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.currentTarget.checked)} /> Send my backups there (make it the default)
        </label>
        <div className="settings-actions">
          <button type="submit" className="button button-primary" disabled={busy || link.trim() === ''} data-testid="import-card">
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
        {linkError !== null && (
          <p id={`${id}-link-e`} className="field-error" role="alert" data-testid="import-card-error">
            {linkError}
          </p>
        )}
        {done !== null && (
          <p className="field-ok" role="status" data-testid="import-card-done">
            {done}
          </p>
        )}
      </form>
    </Panel>
  );
}

function DestinationCard(props: { readonly bridge: Bridge; readonly label: string }): React.JSX.Element {
  const card = useCall(props.bridge, 'destinationCard', { label: props.label });
  if (card.data === null) return card.error !== null ? <ErrorState error={card.error} onRetry={card.refresh} /> : <LoadingState label="Making the QR code…" />;
  return (
    <CardQr
      card={card.data}
      label={`destination ${props.label}`}
      hint="Scan this on another laptop of yours, or paste the link there, so it delivers to the same place."
      testId="destination-card"
    />
  );
}

function DeviceSection(props: { readonly bridge: Bridge; readonly deviceId: string }): React.JSX.Element {
  const card = useCall(props.bridge, 'deviceCard', undefined);
  return (
    <Panel title="This laptop" testId="settings-device">
      {card.data === null ? (
        card.error !== null ? (
          <ErrorState error={card.error} onRetry={card.refresh} />
        ) : (
          <LoadingState />
        )
      ) : (
        <CardQr card={card.data} label="this laptop's device ID" hint="Device ID. Another laptop scans this to add this one as a peer, pinned to this device only." testId="settings-device-card" />
      )}
      {card.data?.text !== props.deviceId && (
        <p className="muted small">
          Device ID: <code data-testid="settings-device-id">{props.deviceId}</code>
        </p>
      )}
    </Panel>
  );
}

function StatusLine(props: { readonly status: Status; readonly testId: string }): React.JSX.Element {
  const { status } = props;
  return (
    <p className={status.kind === 'error' ? 'field-error' : status.kind === 'done' ? 'field-ok' : 'muted small'} role={status.kind === 'error' ? 'alert' : 'status'} data-testid={props.testId} data-kind={status.kind}>
      {status.text}
    </p>
  );
}

function messageOf(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : 'The core did not answer: try again.';
}
