// Overview: where this laptop is (venue or home, which network), who is nearby, what it donates,
// live transfer rates, and how safe its own backups are.

import { useEffect, useState } from 'react';
import type { OverviewView as Overview } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import type { Bridge } from '../bridge.js';
import { useCall } from '../hooks.js';
import { BytesBar } from '../components/bytes-bar.js';
import { pushSample } from '../components/chart-math.js';
import { Icon } from '../components/icons.js';
import { Panel, Stat } from '../components/panel.js';
import { RateChart } from '../components/rate-chart.js';
import { ErrorState, LoadingState, Notice } from '../components/states.js';
import { formatDuration } from '../components/time-format.js';

/** How often the rates are sampled for the chart. */
const RATE_SAMPLE_MS = 1_500;
/** Samples the chart keeps: 80 × 1.5 s = 2 minutes. */
const RATE_SAMPLES = 80;
/** Replies closer together than this (event-driven refreshes) replace the last sample instead of adding one, keeping the x axis even. */
const SAMPLE_MIN_GAP_MS = 1_000;

interface RateSample {
  readonly at: number;
  readonly up: number;
  readonly down: number;
  readonly deliver: number;
}

export function OverviewView(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { data, error, refresh } = useCall(props.bridge, 'overview', undefined, [
    'peer:up',
    'peer:down',
    'peer:seen',
    'peer:lost',
    'blob:placed',
    'held:stored',
    'held:purged',
    'caps:changed',
    'network:changed',
    'delivery:delivered',
  ]);
  const [samples, setSamples] = useState<RateSample[]>([]);

  useEffect(() => {
    const timer = setInterval(refresh, RATE_SAMPLE_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  useEffect(() => {
    if (data === null) return;
    const now = Date.now();
    const sample = { at: now, up: data.rates.upBps, down: data.rates.downBps, deliver: data.rates.deliverBps };
    setSamples((prev) => {
      const last = prev[prev.length - 1];
      if (last !== undefined && now - last.at < SAMPLE_MIN_GAP_MS) return [...prev.slice(0, -1), { ...sample, at: last.at }];
      return pushSample(prev, sample, RATE_SAMPLES);
    });
  }, [data]);

  if (data === null) return error !== null ? <ErrorState error={error} onRetry={refresh} /> : <LoadingState label="Asking the core how things are…" />;
  return (
    <div className="view-overview">
      {error !== null && (
        <Notice tone="bad" testId="overview-stale">
          {error.message} The numbers below are from the last answer.
        </Notice>
      )}
      <div className="grid grid-overview">
        <WherePanel o={data} />
        <Panel title="Donated disk" testId="overview-disk">
          <p className="lead-number">
            <strong>{formatBytes(data.held.bytes)}</strong> held for {data.held.origins} {data.held.origins === 1 ? 'person' : 'people'}
            <span className="muted"> · {data.held.count.toLocaleString('en')} encrypted {data.held.count === 1 ? 'copy' : 'copies'}</span>
          </p>
          <BytesBar label="Donated disk used" used={data.held.bytes} cap={data.caps.diskBytes} free={data.volume.freeBytes} floor={data.caps.floorBytes} testId="disk-bar" />
          <dl className="facts">
            <div>
              <dt>Free on this disk</dt>
              <dd>{formatBytes(data.volume.freeBytes)}</dd>
            </div>
            <div>
              <dt>Always kept free</dt>
              <dd>{formatBytes(data.caps.floorBytes)}</dd>
            </div>
            <div>
              <dt>One person may use</dt>
              <dd>{formatBytes(data.caps.diskBytes * data.caps.originShare)}</dd>
            </div>
            <div>
              <dt>Copies kept for</dt>
              <dd>{formatDuration(data.caps.retentionMs)}</dd>
            </div>
          </dl>
        </Panel>
        <Panel title="Transfers" className="span-2" testId="overview-rates">
          <RateChart
            testId="rate-chart"
            capacity={RATE_SAMPLES}
            intervalMs={RATE_SAMPLE_MS}
            series={[
              { label: 'Upload', values: samples.map((s) => s.up), className: 'series-up' },
              { label: 'Download', values: samples.map((s) => s.down), className: 'series-down' },
              { label: 'Delivery', values: samples.map((s) => s.deliver), className: 'series-deliver' },
            ]}
          />
        </Panel>
        <Panel title="My backups" className="span-2" testId="overview-mine">
          <div className="stats">
            <Stat label="waiting for holders" value={data.mine.pending.toLocaleString('en')} testId="mine-pending" />
            <Stat label={`safe on ${data.caps.replicas} ${data.caps.replicas === 1 ? 'holder' : 'holders'}`} value={data.mine.placed.toLocaleString('en')} testId="mine-placed" />
            <Stat label="delivered home" value={data.mine.delivered.toLocaleString('en')} testId="mine-delivered" />
            <Stat label="sealed in total" value={formatBytes(data.mine.bytes)} />
          </div>
          <MineSummary o={data} />
        </Panel>
      </div>
    </div>
  );
}

function WherePanel(props: { readonly o: Overview }): React.JSX.Element {
  const { o } = props;
  const net = o.network;
  const home = net?.home ?? null;
  const place = net === null ? 'Looking at the network…' : home !== null ? 'At home' : 'At a venue';
  const where =
    net === null
      ? 'The network has not been identified yet.'
      : home !== null
        ? `On home network “${home}”${net.ssid !== null && net.ssid !== home ? ` (Wi-Fi “${net.ssid}”)` : ''}: deliveries run from here.`
        : net.ssid !== null
          ? `On “${net.ssid}”, which is not one of your home networks.`
          : 'On a wired or unnamed network that is not one of your home networks.';
  return (
    <Panel title="Here" testId="overview-where">
      <p className={`place ${home !== null ? 'is-home' : 'is-away'}`} data-testid="overview-place">
        {place}
      </p>
      <p className="muted" data-testid="overview-network">
        {where}
      </p>
      <div className="stats stats-compact">
        <Stat label="peers linked" value={o.peersLinked} testId="peers-linked" />
        <Stat label="peers heard of" value={o.peersSeen} testId="peers-seen" />
      </div>
      {o.discoveryWarning !== null && (
        <Notice tone="warn" testId="discovery-warning">
          <Icon name="warn" size={18} /> <span>{o.discoveryWarning}</span>
        </Notice>
      )}
      <p className="device-line">
        This laptop: <strong>{o.name}</strong>
      </p>
    </Panel>
  );
}

function MineSummary(props: { readonly o: Overview }): React.JSX.Element {
  const { mine, caps } = props.o;
  const total = mine.pending + mine.placed + mine.delivered;
  if (total === 0) return <p className="muted">Nothing of yours is backed up yet. Files you add are sealed and copied to {caps.replicas} people nearby.</p>;
  if (mine.pending === 0) return <p className="muted">Everything of yours is on at least {caps.replicas} other devices or already home.</p>;
  return (
    <p className="muted">
      {mine.pending.toLocaleString('en')} of your {mine.pending === 1 ? 'file waits' : 'files wait'} for {caps.replicas} holders
      {props.o.peersLinked === 0 ? ': no peer is linked yet.' : '.'}
    </p>
  );
}
