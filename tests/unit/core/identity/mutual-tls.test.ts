// Two device identities on a real mutual TLS 1.3 connection over 127.0.0.1. Certificates are
// self-signed, so TLS is told not to judge them (rejectUnauthorized: false); what authenticates a
// peer is the check below: the certificate it presented hashes to the device ID we expect.

import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIdFromCertDer } from '../../../../src/main/core/identity/device-id.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from '../../../../src/main/core/identity/device-identity.js';

/** The device ID of the certificate the peer presented, or undefined if it presented none. */
function presentedDeviceId(socket: TLSSocket): string | undefined {
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return raw === undefined ? undefined : deviceIdFromCertDer(raw);
}

/** The peer-link check: the peer is who we meant to reach only if its certificate hashes to that ID. */
function isExpectedPeer(socket: TLSSocket, expectedDeviceId: string): boolean {
  return presentedDeviceId(socket) === expectedDeviceId;
}

interface Session {
  clientProtocol: string | null;
  serverProtocol: string | null;
  /** What the client's check concluded about the server. */
  clientAcceptsServer: boolean;
  /** What the server's check concluded about the client. */
  serverAcceptsClient: boolean;
  serverSawClient: string | undefined;
  clientSawServer: string | undefined;
  echoed: string;
}

/**
 * Runs `server` as a TLS server and connects `client` to it. `clientExpects` and `serverExpects`
 * are the device IDs each side was told to expect of the other.
 */
async function connect(
  server: DeviceIdentity,
  client: DeviceIdentity | undefined,
  expected: { clientExpects: string; serverExpects: string },
): Promise<Session> {
  let serverSide!: (value: { protocol: string | null; saw: string | undefined; accepts: boolean }) => void;
  const serverResult = new Promise<{ protocol: string | null; saw: string | undefined; accepts: boolean }>((resolve) => {
    serverSide = resolve;
  });
  const sockets = new Set<TLSSocket>();
  const listener = tls.createServer(
    { key: server.keyPem, cert: server.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (socket) => {
      sockets.add(socket);
      serverSide({ protocol: socket.getProtocol(), saw: presentedDeviceId(socket), accepts: isExpectedPeer(socket, expected.serverExpects) });
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('error', () => undefined);
    },
  );
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;

  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
    ...(client === undefined ? {} : { key: client.keyPem, cert: client.certPem }),
  });
  try {
    await once(socket, 'secureConnect');
    const clientSawServer = presentedDeviceId(socket);
    const clientAcceptsServer = isExpectedPeer(socket, expected.clientExpects);
    const clientProtocol = socket.getProtocol();
    socket.write('ping');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    const fromServer = await serverResult;
    return {
      clientProtocol,
      serverProtocol: fromServer.protocol,
      clientAcceptsServer,
      serverAcceptsClient: fromServer.accepts,
      serverSawClient: fromServer.saw,
      clientSawServer,
      echoed: echo.toString(),
    };
  } finally {
    socket.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => listener.close(resolve));
  }
}

describe('mutual TLS 1.3 between device identities', () => {
  let root: string;
  let alice: DeviceIdentity;
  let bob: DeviceIdentity;
  let mallory: DeviceIdentity;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'inswarm-tls-'));
    alice = await loadOrCreateDeviceIdentity(join(root, 'alice'));
    bob = await loadOrCreateDeviceIdentity(join(root, 'bob'));
    mallory = await loadOrCreateDeviceIdentity(join(root, 'mallory'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('authenticates both ends by device ID', async () => {
    const session = await connect(bob, alice, { clientExpects: bob.deviceId, serverExpects: alice.deviceId });
    expect(session.clientProtocol).toBe('TLSv1.3');
    expect(session.serverProtocol).toBe('TLSv1.3');
    expect(session.clientSawServer).toBe(bob.deviceId);
    expect(session.serverSawClient).toBe(alice.deviceId);
    expect(session.clientAcceptsServer).toBe(true);
    expect(session.serverAcceptsClient).toBe(true);
    expect(session.echoed).toBe('ping');
  });

  it('works with the roles swapped, so either device can dial', async () => {
    const session = await connect(alice, bob, { clientExpects: alice.deviceId, serverExpects: bob.deviceId });
    expect(session.clientAcceptsServer).toBe(true);
    expect(session.serverAcceptsClient).toBe(true);
  });

  it('detects a server presenting a different identity than the one dialed', async () => {
    const session = await connect(mallory, alice, { clientExpects: bob.deviceId, serverExpects: alice.deviceId });
    expect(session.clientSawServer).toBe(mallory.deviceId);
    expect(session.clientAcceptsServer).toBe(false);
    expect(session.serverAcceptsClient).toBe(true);
  });

  it('detects a client presenting a different identity than the one expected', async () => {
    const session = await connect(bob, mallory, { clientExpects: bob.deviceId, serverExpects: alice.deviceId });
    expect(session.serverSawClient).toBe(mallory.deviceId);
    expect(session.serverAcceptsClient).toBe(false);
    expect(session.clientAcceptsServer).toBe(true);
  });

  it('detects a client that presents no certificate at all', async () => {
    const session = await connect(bob, undefined, { clientExpects: bob.deviceId, serverExpects: alice.deviceId });
    expect(session.serverSawClient).toBeUndefined();
    expect(session.serverAcceptsClient).toBe(false);
  });
});
