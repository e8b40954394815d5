// The receiver's ledger rows: enrolled origins and received blobs, on a real ledger in a temp folder.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { Ledger } from '../../../../src/main/core/ledger/ledger.js';
import { LEDGER_MAX_PAGE } from '../../../../src/main/core/limits.js';
import { ENROLL_LABEL_MAX_CHARS, ReceiverStore } from '../../../../src/main/core/receiver/receiver-store.js';
import { tempDir } from '../../../helpers/tmp.js';

const sha = (text: string): Buffer => createHash('sha256').update(text).digest();
const DEVICE = formatDeviceId(sha('origin'));
const OTHER = formatDeviceId(sha('other'));

let ledger: Ledger;
let store: ReceiverStore;
let clock = 1_000;

beforeEach(async () => {
  ledger = Ledger.open(join(await tempDir('receiver-store'), 'ledger.sqlite'));
  store = new ReceiverStore(ledger, () => clock++);
});
afterEach(() => ledger.close());

describe('enrolled origins', () => {
  it('enrolls by any spelling of a device ID, stores the canonical one, and updates the label on re-enrol', () => {
    expect(store.isEnrolled(DEVICE)).toBe(false);
    const typed = DEVICE.toLowerCase().replace(/-/g, ' ');
    expect(store.enroll(typed, 'phone')).toEqual({ deviceId: DEVICE, label: 'phone', addedAt: 1_000 });
    expect(store.isEnrolled(DEVICE)).toBe(true);
    expect(store.isEnrolled(OTHER)).toBe(false);
    store.enroll(DEVICE, 'laptop');
    store.enroll(OTHER);
    expect(store.enrolled()).toEqual([
      { deviceId: DEVICE, label: 'laptop', addedAt: 1_000 },
      { deviceId: OTHER, label: '', addedAt: 1_002 },
    ]);
  });

  it('refuses a mistyped ID and keeps labels to one short printable line', () => {
    const typo = `${DEVICE.slice(0, 5)}${DEVICE[5] === 'A' ? 'B' : 'A'}${DEVICE.slice(6)}`;
    expect(() => store.enroll(typo)).toThrow(expect.objectContaining({ code: 'E_BAD_DEVICE_ID' }));
    expect(store.enroll(DEVICE, `  my\nphone\u0007${'x'.repeat(200)}`).label).toBe(`my phone ${'x'.repeat(ENROLL_LABEL_MAX_CHARS - 9)}`);
  });

  it('unenrolls, reporting whether there was anything to remove', () => {
    store.enroll(DEVICE);
    expect(store.unenroll(DEVICE.toLowerCase())).toBe(true);
    expect(store.unenroll(DEVICE)).toBe(false);
    expect(store.isEnrolled(DEVICE)).toBe(false);
  });
});

describe('received blobs', () => {
  it('records a blob with its event in one commit, and refuses recording it twice', () => {
    const blobId = sha('blob').toString('hex');
    const row = { blobId, originId: DEVICE, size: 10, fileCount: 1, receivedAt: 5 };
    store.addReceived(row, { type: 'receiver:received', data: { blobId } });
    expect(store.received(blobId)).toEqual(row);
    expect(() => store.addReceived(row, { type: 'receiver:received', data: { blobId } })).toThrow(expect.objectContaining({ code: 'E_EXISTS' }));
    // The failed second commit left no second event either.
    expect(ledger.listEvents({ limit: 10 }).filter((e) => e.type === 'receiver:received')).toHaveLength(1);
  });

  it('lists every received blob in ID order across pages', () => {
    const ids = Array.from({ length: LEDGER_MAX_PAGE + 5 }, (_, i) => sha(`b${i}`).toString('hex'));
    ledger.transaction(() => {
      for (const blobId of ids) store.addReceived({ blobId, originId: DEVICE, size: 1, fileCount: 1, receivedAt: 1 }, { type: 'x', data: {} });
    });
    const listed = [...store.allReceived()].map((r) => r.blobId);
    expect(listed).toEqual([...ids].sort());
  });
});
