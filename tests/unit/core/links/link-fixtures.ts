// Shared setup for the link tests: real device identities in a temp folder, real LinkManagers
// listening on 127.0.0.1, and small waits that fail with a message instead of hanging.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';
import type { Link, LinkRefusal, PeerAddress } from '../../../../src/main/core/links/link.js';
import { LinkManager, type LinkManagerComponents, type LinkManagerInit } from '../../../../src/main/core/links/link-manager.js';
import type { Channel, Frame } from '../../../../src/main/core/protocol/messages.js';

export const LOCALHOST = '127.0.0.1';

/** A temp folder of device identities, made once per test file. */
export class IdentityPool {
  private constructor(readonly root: string) {}

  static async create(): Promise<IdentityPool> {
    return new IdentityPool(await mkdtemp(join(tmpdir(), 'inswarm-links-')));
  }

  identity(name: string): Promise<DeviceIdentity> {
    return loadOrCreateDeviceIdentity(join(this.root, name));
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A started manager and everything it reported. */
export interface Node {
  readonly manager: LinkManager;
  readonly identity: DeviceIdentity;
  readonly address: PeerAddress;
  readonly links: Link[];
  readonly refusals: LinkRefusal[];
  readonly warnings: string[];
  readonly infos: string[];
}

/** Starts managers and stops them all at the end of each test. */
export class Nodes {
  private readonly started: LinkManager[] = [];

  async start(identity: DeviceIdentity, init: LinkManagerInit = {}, components: Partial<LinkManagerComponents> = {}): Promise<Node> {
    const warnings: string[] = [];
    const infos: string[] = [];
    const manager = new LinkManager({ identity, logger: { info: (line) => infos.push(line), warn: (line) => warnings.push(line) }, ...components }, init);
    const links: Link[] = [];
    const refusals: LinkRefusal[] = [];
    manager.onLink((link) => links.push(link));
    manager.onRefusal((refusal) => refusals.push(refusal));
    this.started.push(manager);
    const address = await manager.start({ host: LOCALHOST, port: 0 });
    return { manager, identity, address, links, refusals, warnings, infos };
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((manager) => manager.stop()));
  }
}

/** Links `from` to `to`, and returns both ends once both managers report the link. */
export async function linkPair(from: Node, to: Node): Promise<{ out: Link; in: Link }> {
  const before = to.links.length;
  const out = await from.manager.connect(to.address, to.identity.deviceId);
  await waitFor(() => to.links.length > before, 'the inbound link to be reported');
  return { out, in: to.links[to.links.length - 1]! };
}

/** Polls `condition` until it holds, or fails naming what was awaited. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects every frame and the close reason of a channel. */
export function record(channel: Channel): { frames: Frame[]; closed: string | undefined } {
  const seen: { frames: Frame[]; closed: string | undefined } = { frames: [], closed: undefined };
  channel.onFrame((frame) => seen.frames.push(frame));
  channel.onClose((reason) => {
    seen.closed = reason;
  });
  return seen;
}

/** The close reason of a channel, once it closes. */
export function closeReason(channel: Channel): Promise<string> {
  return new Promise((resolve) => channel.onClose(resolve));
}

/** Settles `promise` into a value or an error, with a deadline, so tests can assert on either. */
export async function settle<T>(promise: Promise<T>, timeoutMs = 5_000): Promise<{ value?: T; error?: unknown; pending?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ pending: true }>((resolve) => {
    timer = setTimeout(() => resolve({ pending: true }), timeoutMs);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
