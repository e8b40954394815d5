import { formatBytes } from '../../../shared/format.js';
import type { CapsView } from '../../../shared/status.js';
import { parseDuration, parseRate, parseSize } from '../../../shared/units.js';
import type { Caps } from '../../core/swarm/caps.js';
import { UsageError, type Command, openNode } from '../command.js';

export const caps: Command = {
  name: 'caps',
  summary: 'show or change what this device donates',
  help: `Usage: inswarm caps show [--json]
       inswarm caps set [--disk SIZE] [--floor SIZE] [--share FRACTION] [--up RATE] [--down RATE]
                        [--retention DURATION] [--replicas N] [--deliver RATE] [--deliveries N]

"show" prints the caps in force. "set" changes them (a running node applies them at once):
  --disk SIZE          disk donated to others' replicas, e.g. 10GiB
  --floor SIZE         free disk space that accepting a replica never goes below
  --share FRACTION     most of the donation one origin may use, e.g. 0.25
  --up RATE            upload cap shared by all links, e.g. 5MB/s, or "none"
  --down RATE          download cap shared by all links, e.g. 10MB/s, or "none"
  --retention DURATION longest time a replica is kept, e.g. 12h
  --replicas N         how many distinct holders each of your blobs should reach
  --deliver RATE       upload cap for deliveries from a home network, e.g. 2MB/s, or "none"
  --deliveries N       deliveries run at once (default 2)`,
  options: {
    json: { type: 'boolean' },
    disk: { type: 'string' },
    floor: { type: 'string' },
    share: { type: 'string' },
    up: { type: 'string' },
    down: { type: 'string' },
    retention: { type: 'string' },
    replicas: { type: 'string' },
    deliver: { type: 'string' },
    deliveries: { type: 'string' },
  },
  positionals: [1, 1],
  async run({ values, positionals, dataDir, print }) {
    const action = positionals[0];
    if (action !== 'show' && action !== 'set') throw new UsageError(`Unknown action "${action}": use "show" or "set".`);
    const node = await openNode(dataDir);
    try {
      let current: Caps = (await node.status()).caps;
      if (action === 'set') {
        const change = parseChange(values);
        if (Object.keys(change).length === 0) throw new UsageError('"inswarm caps set" needs at least one option.');
        current = await node.setCaps(change);
      }
      print(values['json'] ? JSON.stringify(current, null, 2) : formatCaps(current));
    } finally {
      await node.close();
    }
  },
};

function parseChange(values: Record<string, unknown>): Partial<Caps> {
  const change: { -readonly [K in keyof Caps]?: Caps[K] } = {};
  const size = (name: string): number => {
    const v = parseSize(String(values[name]));
    if (v === null) throw new UsageError(`--${name} "${String(values[name])}" is not a size (e.g. 10GiB, 500MB).`);
    return v;
  };
  const rate = (name: string): number | null => {
    const v = parseRate(String(values[name]));
    if (v === undefined) throw new UsageError(`--${name} "${String(values[name])}" is not a rate (e.g. 5MB/s, or none).`);
    return v;
  };
  if (typeof values['disk'] === 'string') change.diskBytes = size('disk');
  if (typeof values['floor'] === 'string') change.floorBytes = size('floor');
  if (typeof values['share'] === 'string') change.originShare = Number(values['share']);
  if (typeof values['up'] === 'string') change.upBytesPerSec = rate('up');
  if (typeof values['down'] === 'string') change.downBytesPerSec = rate('down');
  if (typeof values['retention'] === 'string') {
    const ms = parseDuration(values['retention']);
    if (ms === null) throw new UsageError(`--retention "${values['retention']}" is not a duration (e.g. 12h, 90m).`);
    change.retentionMs = ms;
  }
  if (typeof values['replicas'] === 'string') change.replicas = Number(values['replicas']);
  if (typeof values['deliver'] === 'string') change.deliverBytesPerSec = rate('deliver');
  if (typeof values['deliveries'] === 'string') change.deliveries = Number(values['deliveries']);
  return change;
}

/** Human-readable caps, shared with `status`. */
export function formatCaps(c: CapsView): string {
  const rate = (r: number | null) => (r === null ? 'unlimited' : `${formatBytes(r)}/s`);
  return [
    `Disk donated:   ${formatBytes(c.diskBytes)} (never below ${formatBytes(c.floorBytes)} free; at most ${Math.round(c.originShare * 100)}% per origin)`,
    `Bandwidth:      up ${rate(c.upBytesPerSec)}, down ${rate(c.downBytesPerSec)}`,
    `Retention:      ${Math.round((c.retentionMs / 3600_000) * 10) / 10} h`,
    `Replicas:       ${c.replicas} per own blob`,
    `Delivery:       ${c.deliveries} at once, up to ${rate(c.deliverBytesPerSec)}`,
  ].join('\n');
}
