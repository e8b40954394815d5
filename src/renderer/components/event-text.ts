// Activity log lines in plain words: a readable name for each event type the core logs, and a
// one-line summary of its data. Pure. The data comes from the core's log and is read defensively:
// an unknown type or a missing field still yields a sensible line, never a crash.

import type { ActivityEventView } from '../../shared/api.js';
import { formatBytes, shortBlobId } from '../../shared/format.js';
import { shortDeviceId } from './time-format.js';

/** The tone a log line is shown with. */
export type EventTone = 'good' | 'bad' | 'info';

const NAMES: Record<string, { readonly name: string; readonly tone: EventTone }> = {
  'peer:seen': { name: 'Peer found', tone: 'info' },
  'peer:lost': { name: 'Peer gone', tone: 'info' },
  'peer:up': { name: 'Peer linked', tone: 'good' },
  'peer:down': { name: 'Peer unlinked', tone: 'info' },
  'peer:refused': { name: 'Link refused', tone: 'bad' },
  'blob:sealed': { name: 'File sealed', tone: 'info' },
  'blob:placed': { name: 'Backup safe on holders', tone: 'good' },
  'placement:offered': { name: 'Replica offered', tone: 'info' },
  'placement:declined': { name: 'Replica declined', tone: 'info' },
  'placement:progress': { name: 'Sending replica', tone: 'info' },
  'placement:stored': { name: 'Replica stored', tone: 'good' },
  'placement:failed': { name: 'Replica failed', tone: 'bad' },
  'placement:no-target': { name: 'No delivery target', tone: 'bad' },
  'held:receiving': { name: 'Receiving for a peer', tone: 'info' },
  'held:progress': { name: 'Receiving', tone: 'info' },
  'held:paused': { name: 'Receiving paused', tone: 'info' },
  'held:resumed': { name: 'Receiving resumed', tone: 'info' },
  'held:stored': { name: 'Holding for a peer', tone: 'good' },
  'held:purged': { name: 'Dropped a held copy', tone: 'info' },
  'held:expired': { name: 'Held copy expired', tone: 'info' },
  'held:released': { name: 'Held copy released', tone: 'info' },
  'caps:changed': { name: 'Limits changed', tone: 'info' },
  'network:changed': { name: 'Network changed', tone: 'info' },
  'network:probe-failed': { name: 'Network unknown', tone: 'bad' },
  'delivery:started': { name: 'Delivery started', tone: 'info' },
  'delivery:progress': { name: 'Delivering', tone: 'info' },
  'delivery:delivered': { name: 'Delivered', tone: 'good' },
  'delivery:failed': { name: 'Delivery failed', tone: 'bad' },
  'delivery:released': { name: 'Holder told to drop copy', tone: 'info' },
  'delivery:pass-failed': { name: 'Delivery pass failed', tone: 'bad' },
  'store:reconciled': { name: 'Store checked', tone: 'info' },
  'receiver:enrolled': { name: 'Device enrolled', tone: 'good' },
  'receiver:unenrolled': { name: 'Device unenrolled', tone: 'info' },
  'receiver:refused': { name: 'Receiver refused', tone: 'bad' },
  'receiver:already': { name: 'Already delivered', tone: 'info' },
  'receiver:reconciled': { name: 'Receiver checked', tone: 'info' },
  'thumbnails:limited': { name: 'Thumbnails limited', tone: 'info' },
};

/** The readable name of an event type ("delivery:failed" → "Delivery failed"). */
export function eventName(type: string): string {
  const known = NAMES[type];
  if (known !== undefined) return known.name;
  const words = type.replace(/[:_-]+/g, ' ').trim();
  return words === '' ? 'Event' : words[0]!.toUpperCase() + words.slice(1);
}

export function eventTone(type: string): EventTone {
  return NAMES[type]?.tone ?? (/fail|refus|error/.test(type) ? 'bad' : 'info');
}

/** One line saying what happened, from whatever fields the event carries. */
export function eventSummary(type: string, data: unknown): string {
  const d = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const parts: string[] = [];
  const str = (k: string): string | null => (typeof d[k] === 'string' && d[k] !== '' ? (d[k] as string) : null);
  const num = (k: string): number | null => (typeof d[k] === 'number' && Number.isFinite(d[k]) ? (d[k] as number) : null);
  const blob = str('blobId');
  const name = str('name') ?? str('label');
  const device = str('deviceId') ?? str('holderId') ?? str('origin') ?? str('originId');
  if (type === 'network:changed') {
    const home = str('home');
    const ssid = str('ssid');
    return home !== null ? `At home (${home})` : ssid !== null ? `On “${ssid}”, not a home network` : 'On a network that is not home';
  }
  if (blob !== null) parts.push(`blob ${shortBlobId(blob)}`);
  if (name !== null) parts.push(name);
  if (device !== null && name === null) parts.push(`device ${shortDeviceId(device)}`);
  const address = str('address');
  if (address !== null) parts.push(address);
  const size = num('size') ?? num('uploaded');
  if (size !== null) parts.push(formatBytes(size));
  const replicas = num('replicas');
  if (replicas !== null) parts.push(`${replicas} ${replicas === 1 ? 'copy' : 'copies'}`);
  const why = str('error') ?? str('reason') ?? str('why');
  if (why !== null) parts.push(why);
  return parts.join(' · ');
}

/** Old and new events as one list, newest first, without duplicates, at most `max` long. */
export function mergeNewestFirst(old: readonly ActivityEventView[], fresh: readonly ActivityEventView[], max: number): ActivityEventView[] {
  const byId = new Map<number, ActivityEventView>();
  for (const e of old) byId.set(e.id, e);
  for (const e of fresh) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, max);
}
