// A peer that lives in the test process, built from the real building blocks: its own device
// identity, a LinkManager (mutual TLS, pinned device IDs) and a protocol Session. Tests use it as
// an origin that does what a real origin never would: flips bytes, lies about sizes, floods offers,
// stalls, or asks for a replica that expires in seconds. It never holds anything itself.

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../src/main/core/identity/device-identity.js';
import { LinkManager } from '../../src/main/core/links/link-manager.js';
import { ProtocolError } from '../../src/main/core/protocol/codec.js';
import type { Signed } from '../../src/main/core/protocol/messages.js';
import { Session, type SessionHandler } from '../../src/main/core/protocol/session.js';
import { signTicket } from '../../src/main/core/protocol/signed.js';
import { MAX_DATA_PAYLOAD_BYTES } from '../../src/main/core/limits.js';
import { tempDir } from './tmp.js';

/** Bytes and the ID they hash to: a blob as far as a holder can tell (holders never open blobs). */
export interface TestBlob {
  readonly blobId: string;
  readonly bytes: Buffer;
}

export function randomBlob(size: number): TestBlob {
  const bytes = randomBytes(size);
  return { blobId: createHash('sha256').update(bytes).digest('hex'), bytes };
}

/** A session to one node, and why it ended (once it has). */
export interface TestLink {
  readonly session: Session;
  /** Resolves with the close reason when the link ends, from either side. */
  readonly closed: Promise<string>;
}

/** As an origin the test peer never accepts replicas: every offer to it is declined. */
const NOT_A_HOLDER: SessionHandler = {
  onOffer: () => Promise.resolve({ accept: false, reason: 'full' }),
  onData: () => Promise.reject(new ProtocolError('E_PROTO_STATE', 'the test peer holds nothing')),
  onCommit: () => Promise.reject(new ProtocolError('E_PROTO_STATE', 'the test peer holds nothing')),
  onAbandon: () => Promise.resolve(),
  onRelease: () => Promise.resolve(),
};

export class TestPeer {
  private constructor(
    readonly identity: DeviceIdentity,
    readonly links: LinkManager,
  ) {}

  /** A new device (fresh identity) whose link manager listens on 127.0.0.1. */
  static async create(): Promise<TestPeer> {
    const identity = await loadOrCreateDeviceIdentity(join(await tempDir('test-peer'), 'device'));
    const links = new LinkManager({ identity });
    await links.start({ host: '127.0.0.1', port: 0 });
    return new TestPeer(identity, links);
  }

  get deviceId(): string {
    return this.identity.deviceId;
  }

  /**
   * Links to the node `deviceId` at 127.0.0.1:`port` and exchanges hellos. By default it holds
   * nothing and announces no transfer limit (as versions before the `transfers=` capability);
   * `as` makes it a holder of the test's own making, announcing what it says.
   */
  async connect(port: number, deviceId: string, as: { handler?: SessionHandler; capabilities?: string[]; freeBytes?: number } = {}): Promise<TestLink> {
    const link = await this.links.connect({ host: '127.0.0.1', port }, deviceId);
    const hello = { name: 'test-peer', capabilities: as.capabilities ?? ['resume'], freeBytes: as.freeBytes ?? 0 };
    const session = new Session(link.channel, link.deviceId, hello, as.handler ?? NOT_A_HOLDER);
    const closed = new Promise<string>((resolve) => session.onClose(resolve));
    await session.start();
    return { session, closed };
  }

  /** A ticket signed by this device, as an origin signs one; `expiresInMs` from now. */
  ticket(blob: { blobId: string; size: number }, expiresInMs = 3600_000): Signed {
    const now = Date.now();
    return signTicket(this.identity, { blobId: blob.blobId, size: blob.size, created: now, expires: now + expiresInMs, target: { kind: 'none' } });
  }

  /** Streams `bytes[from…to)` as data frames of at most the protocol's payload size. */
  static async send(session: Session, blobId: string, bytes: Uint8Array, from = 0, to = bytes.length): Promise<void> {
    for (let offset = from; offset < to; offset += MAX_DATA_PAYLOAD_BYTES) {
      await session.sendData(blobId, offset, bytes.subarray(offset, Math.min(to, offset + MAX_DATA_PAYLOAD_BYTES)));
    }
  }

  async stop(): Promise<void> {
    await this.links.stop();
  }
}
