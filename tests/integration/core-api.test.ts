// The dispatcher both UI transports call, over a real node (ledger, store, swarm on loopback):
// the contract's parsers refuse bad arguments with E_USAGE, views read the real ledger (held list
// sorted three ways at every offset, own blobs with thumbnails), writes go through the node, and
// events reach subscribers. The network probe is scripted: it is the OS boundary.
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiReply } from '../../src/shared/api.js';
import { CoreApi } from '../../src/main/api/dispatch.js';
import { encodeCardLink } from '../../src/main/core/delivery/card.js';
import type { NetworkFingerprint } from '../../src/main/core/homenet/fingerprint.js';
import { InswarmNode } from '../../src/main/core/node.js';
import { generateIdentity } from '../../src/main/core/seal/age-keys.js';
import { thumbnailKey } from '../../src/main/core/thumbs/thumbnails.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { tempDir } from '../helpers/tmp.js';

const HOME_FP: NetworkFingerprint = { ssid: 'Flat', gatewayIp: '192.168.1.1', gatewayMac: '02:aa:bb:cc:dd:ee', iface: 'wlan0' };
const opened: { node: InswarmNode; api: CoreApi }[] = [];
afterEach(async () => {
  for (const { node, api } of opened.splice(0)) {
    api.close();
    await node.close();
  }
});

async function setup() {
  const node = await InswarmNode.open(await tempDir('inswarm-api'), { probe: { current: async () => HOME_FP } });
  const api = new CoreApi(node, {
    name: 'test',
    linked: () => [],
    seen: () => 0,
    discoveryWarning: () => null,
    network: () => null,
    addManualPeer: () => undefined,
    removeManualPeer: () => undefined,
  });
  opened.push({ node, api });
  const call = async <M extends ApiMethod>(method: M, args?: unknown) => (await api.dispatch(method, args)) as ApiReply<M>;
  const ok = async <M extends ApiMethod>(method: M, args?: unknown) => {
    const reply = await call(method, args);
    if (!reply.ok) throw new Error(`${method} failed: ${reply.code} ${reply.message}`);
    return reply.result;
  };
  return { node, api, call, ok };
}

const id = (n: number) => n.toString(16).padStart(64, '0');

describe('CoreApi', () => {
  it('refuses unknown methods and bad arguments with E_USAGE, never running the handler', async () => {
    const { call, node } = await setup();
    expect(await call('nope' as ApiMethod)).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('heldPage', { limit: -1 })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('heldPage', { sort: 'name' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('overview', { extra: 1 })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('thumbnail', { blobId: '../etc/passwd' })).toMatchObject({ ok: false, code: 'E_USAGE' });
    await node.volume();
    const before = node.caps();
    expect(await call('setCaps', { diskBytes: 1, evil: true })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(await call('setCaps', { retentionMs: 1 })).toMatchObject({ ok: false, code: 'E_USAGE' });
    expect(node.caps()).toEqual(before);
  });

  it('pages the held list by received time, size and expiry, both ways, with totals', async () => {
    const { node, ok } = await setup();
    const rows = Array.from({ length: 25 }, (_, i) => ({ blobId: id(i + 1), size: ((i * 7) % 25) + 1, receivedAt: 1_000 + i, expiresAt: 10_000_000_000_000 - ((i * 11) % 25) }));
    for (const r of rows) node.ledger.addHeld({ blobId: r.blobId, originId: 'ORIGIN', size: r.size, receivedAt: r.receivedAt, expiresAt: r.expiresAt, ticket: Buffer.from('{}'), state: 'held', bytesReceived: r.size });
    for (const [sort, key] of [['received', 'receivedAt'], ['size', 'size'], ['expires', 'expiresAt']] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        const expected = [...rows].sort((a, b) => (a[key] - b[key] || (a.blobId < b.blobId ? -1 : 1)) * (dir === 'asc' ? 1 : -1)).map((r) => r.blobId);
        const got: string[] = [];
        for (let offset = 0; offset < rows.length; offset += 10) {
          const page = await ok('heldPage', { sort, dir, offset, limit: 10 });
          expect(page.total).toBe(25);
          expect(page.totalBytes).toBe(rows.reduce((n, r) => n + r.size, 0));
          got.push(...page.rows.map((r) => r.blobId));
        }
        expect(got, `${sort} ${dir}`).toEqual(expected);
      }
    }
  });

  it('lists own blobs with their names and a thumbnail from the added photo', async () => {
    const { node, ok } = await setup();
    const key = await generateIdentity();
    node.destinations.setRecipient(key.recipient, 'home');
    const dir = await tempDir('inswarm-api-photos');
    const photo = join(dir, 'IMG_0042.JPG');
    await writeFile(photo, makeJpeg('2026:04:01 12:00:00', { seed: 3 }));
    const [added] = await node.addFiles([[{ path: photo }]]);
    const page = await ok('backups', { filter: 'all' });
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({ blobId: added!.blobId, name: 'IMG_0042.JPG', replicas: 0, wanted: 2, state: 'sealed', hasThumbnail: true, destination: 'home' });
    expect((await ok('backups', { filter: 'delivered' })).rows).toEqual([]);
    const thumb = await ok('thumbnail', { blobId: added!.blobId });
    expect(thumb.dataUrl).toMatch(/^data:image\/jpeg;base64,\/9j\//);
  });

  it('renders thumbnails of PNGs too, cached under the content hash, and none for other files', async () => {
    const { node, ok } = await setup();
    node.destinations.setRecipient((await generateIdentity()).recipient, 'home');
    const dir = await tempDir('inswarm-api-photos');
    const shot = join(dir, 'Screenshot.png');
    const png = await sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();
    await writeFile(shot, png);
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'not a picture');
    const [pngBlob] = await node.addFiles([[{ path: shot }]]);
    const [txtBlob] = await node.addFiles([[{ path: notes }]]);
    const rows = (await ok('backups', { filter: 'all' })).rows;
    expect(rows.find((r) => r.blobId === pngBlob!.blobId)).toMatchObject({ name: 'Screenshot.png', hasThumbnail: true });
    expect(rows.find((r) => r.blobId === txtBlob!.blobId)).toMatchObject({ name: 'notes.txt', hasThumbnail: false });
    const thumb = await ok('thumbnail', { blobId: pngBlob!.blobId });
    const meta = await sharp(Buffer.from(thumb.dataUrl!.split(',')[1]!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 213]);
    const sha256 = createHash('sha256').update(png).digest('hex');
    const key = thumbnailKey({ path: shot, size: png.length, sha256 }, { size: png.length, mtimeMs: 0 });
    expect(await readdir(join(node.dataDir, 'thumbs'))).toEqual([`${key}.jpg`]);
    expect(await ok('thumbnail', { blobId: txtBlob!.blobId })).toEqual({ dataUrl: null });
  });

  it('marks the current network as home, imports a card and shows its QR, and pushes events', async () => {
    const { ok, api } = await setup();
    const seen: string[] = [];
    const unsubscribe = api.subscribe((m) => seen.push(m.event));
    const settings = await ok('markHome', { label: 'Flat' });
    expect(settings.homes).toEqual([{ id: expect.any(Number), label: 'Flat', ssid: 'Flat', gatewayMac: '02:aa:bb:cc:dd:ee' }]);
    expect(seen).toContain('network:changed');
    const key = await generateIdentity();
    const link = encodeCardLink({ label: 'bucket', recipient: key.recipient, endpoint: { kind: 's3', bucket: 'photos', prefix: 'in', region: 'us-east-1', endpoint: null, forcePathStyle: false } });
    const after = await ok('importCard', { link, makeDefault: true });
    expect(after.destinations).toEqual([expect.objectContaining({ label: 'bucket', kind: 's3', isDefault: true })]);
    const card = await ok('destinationCard', { label: 'bucket' });
    expect(card.text).toBe(link);
    expect(card.svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    await ok('setCaps', { diskBytes: 123_456_789 });
    expect(seen).toContain('caps:changed');
    unsubscribe();
  });
});
