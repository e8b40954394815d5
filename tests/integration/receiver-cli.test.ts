// `inswarm receive` as a real process: it prints its URL, receiver ID and a card that pins it;
// `receive enroll/unenroll/enrolled` (other processes, same data folder) decide who may deliver,
// and the running receiver follows at once; a ReceiverClient in this process uploads real sealed
// photos to it over HTTPS; SIGINT stops it cleanly.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCardLink } from '../../src/main/core/delivery/card.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../src/main/core/identity/device-identity.js';
import type { Signed } from '../../src/main/core/protocol/messages.js';
import { verifyDeliveryReceipt } from '../../src/main/core/protocol/signed.js';
import { ReceiverClient } from '../../src/main/core/receiver/receiver-client.js';
import { makeJpeg } from '../helpers/jpeg.js';
import { freePort, startInswarm, type NodeProc } from '../helpers/node-proc.js';
import { listFiles, sealOne, ticketFor } from '../helpers/receiver-kit.js';
import { inswarm, inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

/** Starts `inswarm receive ARGS` on data folder `data`. */
function startReceiver(data: string, args: readonly string[]): NodeProc {
  return startInswarm(data, ['receive', ...args]);
}

let work: string;
let data: string;
let keyFile: string;
let recipient: string;
let library: string;
let origin: DeviceIdentity;

beforeAll(async () => {
  work = await tempDir('receiver-cli');
  data = join(work, 'receiver-data');
  keyFile = join(work, 'key.txt');
  recipient = await inswarmOk(['keygen', '--out', keyFile], data);
  library = join(work, 'Photos');
  // A real origin: its own data folder and device identity, as "inswarm id" shows it.
  const originData = join(work, 'origin-data');
  const originId = await inswarmOk(['id'], originData);
  origin = await loadOrCreateDeviceIdentity(join(originData, 'device'));
  expect(origin.deviceId).toBe(originId);
});

describe('inswarm receive', () => {
  it('runs, prints a card that pins it, accepts enrolled origins only, and stops cleanly', async () => {
    const port = await freePort();
    const receiver = startReceiver(data, ['--library', library, '--identity', keyFile, '--listen', `127.0.0.1:${port}`, '--label', 'home']);
    await receiver.waitFor('Press Ctrl+C to stop.');
    const out = receiver.output();
    const url = /^Receiving at (https:\/\/\S+) into /m.exec(out)?.[1];
    const receiverId = /^Receiver ID: (\S+)$/m.exec(out)?.[1];
    const link = /^Card: (inswarm:\/\/\S+)$/m.exec(out)?.[1];
    expect(url).toBe(`https://127.0.0.1:${port}`);
    expect(receiverId).toBe(await inswarmOk(['id'], data)); // the data folder's device identity
    const card = parseCardLink(link!);
    expect(card).toEqual({ label: 'home', recipient, endpoint: { kind: 'receiver', url, receiverId } });
    expect(out).toContain('No origin device is enrolled yet');

    const client = new ReceiverClient({ url: card.endpoint.kind === 'receiver' ? card.endpoint.url : '', receiverId: receiverId! });
    const photo = makeJpeg('2024:02:29 23:59:58', { seed: 7 });
    const blob = await sealOne(work, 'DSC_0042.jpg', photo, card.recipient, origin);
    const upload = () => client.upload({ blobId: blob.blobId, size: blob.size, file: blob.path, ticket: ticketFor(origin, blob, receiverId!, { url }) });

    // Not enrolled yet: refused with the receiver's sentence, nothing filed.
    await expect(upload()).rejects.toMatchObject({ code: 'E_DELIVERY_REFUSED', remoteCode: 'E_NOT_ENROLLED' });
    expect(await listFiles(library)).toEqual([]);

    // Enrolled from another process (lowercase, as a person might type it); the receiver follows at once.
    expect(await inswarmOk(['receive', 'enroll', origin.deviceId.toLowerCase(), '--label', 'phone'], data)).toBe(origin.deviceId);
    const listed = JSON.parse(await inswarmOk(['receive', 'enrolled', '--json'], data)) as { deviceId: string; label: string }[];
    expect(listed).toMatchObject([{ deviceId: origin.deviceId, label: 'phone' }]);
    const proof = await upload();
    verifyDeliveryReceipt((proof as { receipt: Signed }).receipt, { expectedReceiver: receiverId!, expectedBlobId: blob.blobId, expectedSize: blob.size });
    const placed = join(library, '2024', '02', '29', 'DSC_0042.jpg');
    expect(await readFile(placed)).toEqual(photo);
    expect((await stat(placed)).isFile()).toBe(true);
    expect((await client.head(blob.blobId)).present).toBe(true);

    // Unenrolled: the next blob from that device is refused; what arrived stays.
    await inswarmOk(['receive', 'unenroll', origin.deviceId], data);
    expect(await inswarmOk(['receive', 'enrolled'], data)).toBe('');
    const second = await sealOne(work, 'DSC_0043.jpg', makeJpeg('2024:03:01 08:00:00', { seed: 8 }), card.recipient, origin);
    await expect(client.upload({ blobId: second.blobId, size: second.size, file: second.path, ticket: ticketFor(origin, second, receiverId!) })).rejects.toMatchObject({ code: 'E_DELIVERY_REFUSED', remoteCode: 'E_NOT_ENROLLED' });
    expect(await listFiles(library)).toEqual(['2024/02/29/DSC_0042.jpg']);

    expect(await receiver.stop()).toBe(0);
    expect(receiver.output()).toContain('Stopped cleanly (SIGINT)');
    expect(receiver.output()).toMatch(/Received [0-9a-f]{12}… .* 1 new file/);
    expect(receiver.output()).toMatch(/Refused [0-9a-f]{12}… .*E_NOT_ENROLLED/);
  });

  it('refuses wrong usage with exit status 2 and a bad device ID with status 1', async () => {
    expect((await inswarm(['receive', '--identity', keyFile], { data })).code).toBe(2); // no --library
    expect((await inswarm(['receive', 'frobnicate'], { data })).code).toBe(2);
    expect((await inswarm(['receive', 'enroll'], { data })).code).toBe(2);
    expect((await inswarm(['receive', 'enroll', 'a', 'b'], { data })).code).toBe(2);
    expect((await inswarm(['receive', '--library', library, '--identity', keyFile, '--rate', 'fast'], { data })).code).toBe(2);
    const bad = await inswarm(['receive', 'enroll', 'NOT-A-DEVICE-ID'], { data });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^inswarm: That device ID has \d+ characters/);
  });

  it('without --identity makes its own destination key on first run (0600) and keeps it', async () => {
    const own = join(work, 'own-key-data');
    const first = startReceiver(own, ['--library', join(work, 'own-library'), '--listen', `127.0.0.1:${await freePort()}`]);
    await first.waitFor('Card: ');
    const card = parseCardLink(/Card: (\S+)/.exec(first.output())![1]!);
    expect(first.output()).toContain('Created the destination key');
    expect(await first.stop()).toBe(0);
    const key = join(own, 'destination-key.txt');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    // The age CLI's own key format: the recipient on the card is the key's.
    expect(await readFile(key, 'utf8')).toContain(`# public key: ${card.recipient}`);
    const second = startReceiver(own, ['--library', join(work, 'own-library'), '--listen', `127.0.0.1:${await freePort()}`]);
    await second.waitFor('Card: ');
    expect(parseCardLink(/Card: (\S+)/.exec(second.output())![1]!).recipient).toBe(card.recipient);
    expect(second.output()).not.toContain('Created the destination key');
    expect(await second.stop()).toBe(0);
  });
});
