// The destination store on a real ledger (SQLite in a temp dir), checked through a second
// connection where it matters: what is on disk, not what the store believes.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DestinationStore } from '../../../../src/main/core/delivery/destinations.js';
import type { DestinationCard } from '../../../../src/main/core/delivery/endpoint.js';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { Ledger, type OutboxRow } from '../../../../src/main/core/ledger/ledger.js';
import { DESTINATIONS_MAX } from '../../../../src/main/core/limits.js';
import { tempDir } from '../../../helpers/tmp.js';

const RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const RECIPIENT_2 = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj';
const RECEIVER_ID = formatDeviceId(Buffer.alloc(32, 9));
const T0 = 1_750_000_000_000;

const home: DestinationCard = { label: 'home', recipient: RECIPIENT, endpoint: { kind: 'receiver', url: 'https://nas.local:8443', receiverId: RECEIVER_ID } };
const bucket: DestinationCard = {
  label: 'bucket',
  recipient: RECIPIENT_2,
  endpoint: { kind: 's3', bucket: 'photos', prefix: 'inbox', region: 'us-east-1', endpoint: null, forcePathStyle: false },
};
const folder: DestinationCard = { label: 'dropbox', recipient: RECIPIENT, endpoint: { kind: 'folder', path: '/home/ann/Dropbox' } };

let file: string;
let ledger: Ledger;
let store: DestinationStore;
let clock: number;

beforeEach(async () => {
  file = join(await tempDir('inswarm-dest'), 'ledger.db');
  clock = T0;
  ledger = Ledger.open(file);
  store = new DestinationStore(ledger, () => clock++);
});
afterEach(() => ledger.close());

/** A second connection: what is on disk. */
function onDisk<T>(sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}
function outboxRow(label: string, destinationId: number, state: OutboxRow['state'] = 'sealed'): OutboxRow {
  return {
    blobId: createHash('sha256').update(label).digest('hex'),
    size: 100,
    destinationId,
    label,
    fileCount: 1,
    plaintextBytes: 90,
    capturedAt: null,
    createdAt: T0,
    state,
  };
}

describe('DestinationStore', () => {
  it('stores cards; the first added becomes the default, later ones only when asked', () => {
    const a = store.add(home);
    expect(a).toEqual({ id: a.id, card: home, isDefault: true, createdAt: T0 });
    const b = store.add(bucket);
    expect(b.isDefault).toBe(false);
    expect(store.getDefault()?.card.label).toBe('home');
    const c = store.add(folder, { makeDefault: true });
    expect(c.isDefault).toBe(true);
    expect(store.getDefault()?.id).toBe(c.id);
    expect(store.list().map((d) => [d.card.label, d.isDefault])).toEqual([['home', false], ['bucket', false], ['dropbox', true]]);
    expect(store.get(b.id)).toEqual({ ...b });
    expect(store.byLabel('bucket').card).toEqual(bucket);

    // On disk: one default, the endpoint as JSON, the receiver's ID copied into receiver_key.
    const rows = onDisk<{ label: string; endpoint: string; receiver_key: string | null; is_default: number }>(
      'SELECT label, endpoint, receiver_key, is_default FROM destinations ORDER BY id',
    );
    expect(rows.map((r) => [r.label, r.receiver_key, r.is_default])).toEqual([['home', RECEIVER_ID, 0], ['bucket', null, 0], ['dropbox', null, 1]]);
    expect(JSON.parse(rows[1]!.endpoint)).toEqual(bucket.endpoint);

    // And it survives reopening.
    ledger.close();
    ledger = Ledger.open(file);
    expect(new DestinationStore(ledger).list().map((d) => d.card)).toEqual([home, bucket, folder]);
  });

  it('stores the canonical form of what it is given', () => {
    const d = store.add({ ...home, endpoint: { kind: 'receiver', url: 'HTTPS://NAS.local:8443/', receiverId: RECEIVER_ID.toLowerCase() } });
    expect(d.card).toEqual(home);
    expect(store.byLabel('home').card).toEqual(home);
  });

  it('refuses a duplicate label with E_EXISTS and changes nothing', () => {
    store.add(home);
    const err = errorOf(() => store.add({ ...bucket, label: 'home' }, { makeDefault: true }));
    expect(isInswarmError(err, 'E_EXISTS')).toBe(true);
    expect(err.message).toMatch(/^A destination labelled "home" already exists: choose another label/);
    expect(store.list().map((d) => d.card)).toEqual([home]);
  });

  it('refuses an invalid card with E_BAD_CARD and stores nothing', () => {
    const err = errorOf(() => store.add({ ...home, endpoint: { kind: 'receiver', url: 'http://nas:80', receiverId: RECEIVER_ID } }));
    expect(isInswarmError(err, 'E_BAD_CARD')).toBe(true);
    expect(onDisk('SELECT * FROM destinations')).toEqual([]);
  });

  it('names unknown labels and ids with E_DEST_UNKNOWN; a failed setDefault keeps the old default', () => {
    store.add(home);
    for (const fn of [() => store.byLabel('nas'), () => store.get(999), () => store.setDefault('nas'), () => store.remove('nas')]) {
      const err = errorOf(fn);
      expect(isInswarmError(err, 'E_DEST_UNKNOWN'), String(err)).toBe(true);
      expect(err.message).toMatch(/inswarm dest list/);
    }
    expect(store.getDefault()?.card.label).toBe('home');
    expect(store.find('nas')).toBeUndefined();
  });

  it('switches the default; the database keeps exactly one', () => {
    store.add(home);
    store.add(bucket);
    expect(store.setDefault('bucket').isDefault).toBe(true);
    expect(onDisk<{ label: string }>('SELECT label FROM destinations WHERE is_default = 1')).toEqual([{ label: 'bucket' }]);
    // The ledger's own accessor (used by status) agrees.
    expect(ledger.getDefaultDestination()?.label).toBe('bucket');
  });

  it('reads destinations made by the older "dest set" honestly: no endpoint', () => {
    ledger.setDefaultDestination({ recipient: RECIPIENT, label: 'old' });
    const d = store.getDefault()!;
    expect(d.card).toEqual({ label: 'old', recipient: RECIPIENT, endpoint: null });
    // A card added later may become the default without disturbing it.
    store.add(home, { makeDefault: true });
    expect(store.byLabel('old').isDefault).toBe(false);
    expect(ledger.getDefaultDestination()?.label).toBe('home');
  });

  it('setRecipient: a bare recipient as default, idempotent, refusing a label used for another key', () => {
    const a = store.setRecipient(RECIPIENT, 'home');
    expect(a.card).toEqual({ label: 'home', recipient: RECIPIENT, endpoint: null });
    expect(a.isDefault).toBe(true);
    store.add(bucket, { makeDefault: true });
    expect(store.setRecipient(RECIPIENT, 'home').isDefault).toBe(true);
    expect(store.list()).toHaveLength(2);
    const err = errorOf(() => store.setRecipient(RECIPIENT_2, 'home'));
    expect(isInswarmError(err, 'E_EXISTS')).toBe(true);
    expect(store.byLabel('home').card.recipient).toBe(RECIPIENT);
    expect(isInswarmError(errorOf(() => store.setRecipient('age1nope', 'x')), 'E_BAD_CARD')).toBe(true);
    expect(isInswarmError(errorOf(() => store.setRecipient(RECIPIENT, '')), 'E_BAD_CARD')).toBe(true);
  });

  it('remove: refused while outbox blobs wait for it or keep it as history; otherwise gone', () => {
    const a = store.add(home);
    const b = store.add(bucket);
    ledger.addOutbox(outboxRow('IMG_1.JPG', a.id));
    ledger.addOutbox(outboxRow('IMG_2.JPG', a.id, 'placed'));
    const pending = errorOf(() => store.remove('home'));
    expect(isInswarmError(pending, 'E_EXISTS')).toBe(true);
    expect(pending.message).toBe('Destination "home" still has 2 blobs in the outbox waiting for delivery: keep it until they are delivered.');

    ledger.setOutboxState(outboxRow('IMG_1.JPG', a.id).blobId, 'delivered');
    ledger.setOutboxState(outboxRow('IMG_2.JPG', a.id).blobId, 'delivered');
    const history = errorOf(() => store.remove('home'));
    expect(isInswarmError(history, 'E_EXISTS')).toBe(true);
    expect(history.message).toMatch(/recorded destination of 2 earlier blobs, so it is kept/);
    expect(store.find('home')).toBeDefined();

    expect(store.remove('bucket')).toEqual({ id: b.id, label: 'bucket', wasDefault: false });
    expect(store.find('bucket')).toBeUndefined();
    expect(onDisk<{ label: string }>('SELECT label FROM destinations')).toEqual([{ label: 'home' }]);
  });

  it('removing the default leaves none', () => {
    store.add(home);
    expect(store.remove('home').wasDefault).toBe(true);
    expect(store.getDefault()).toBeUndefined();
    expect(ledger.getDefaultDestination()).toBeUndefined();
  });

  it('a damaged stored endpoint reads as E_LEDGER, and the row can still be removed', () => {
    store.add(home);
    const db = new Database(file);
    db.prepare(`UPDATE destinations SET endpoint = '{"kind":"receiver","url":"http://evil:80","receiverId":"x"}'`).run();
    db.close();
    const err = errorOf(() => store.byLabel('home'));
    expect(isInswarmError(err, 'E_LEDGER')).toBe(true);
    expect(err.message).toMatch(/stored endpoint of destination "home" is damaged/);
    expect(store.remove('home').label).toBe('home');
  });

  it(`keeps at most ${DESTINATIONS_MAX} destinations`, () => {
    const db = new Database(file);
    const insert = db.prepare('INSERT INTO destinations (label, recipient, created_at) VALUES (?, ?, 0)');
    db.transaction(() => {
      for (let i = 0; i < DESTINATIONS_MAX; i++) insert.run(`d${i}`, RECIPIENT);
    })();
    db.close();
    const err = errorOf(() => store.add(home));
    expect(isInswarmError(err, 'E_EXISTS')).toBe(true);
    expect(err.message).toMatch(new RegExp(`already has ${DESTINATIONS_MAX} destinations`));
    expect(store.list()).toHaveLength(DESTINATIONS_MAX);
    store.remove('d0');
    expect(store.add(home).card.label).toBe('home');
  });
});
