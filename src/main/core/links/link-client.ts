// The dialing side of peer links. TLS comes first and on its own: the peer's certificate is
// checked against the device ID we meant to reach on 'secureConnect', before a single byte of
// HTTP is written. Only then does the WebSocket upgrade run over that same socket.

import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { InswarmError } from '../errors.js';
import { shortDeviceId } from '../identity/device-id.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import { LINK_PATH, REFUSAL_HEADER, formatAddress, type LinkRefusal, type PeerAddress } from './link.js';
import { clientTlsOptions, peerDeviceId } from './peer-tls.js';

export interface DialInit {
  readonly maxFrameBytes: number;
  /** TLS plus upgrade must finish within this. */
  readonly handshakeTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Told about a refusal made here (a device ID mismatch) before the dial rejects. */
  readonly onRefusal?: (refusal: LinkRefusal) => void;
}

/**
 * Opens an authenticated WebSocket to the device `expectedDeviceId` (canonical form) at
 * `address`. Rejects E_PEER_MISMATCH if another device answers, E_LINK_LIMIT or E_PEER_REFUSED
 * if the peer refuses, E_ABORTED on abort, E_LINK_FAILED otherwise (timeout, network, TLS).
 */
export function dialLink(identity: DeviceIdentity, address: PeerAddress, expectedDeviceId: string, init: DialInit): Promise<WebSocket> {
  const where = formatAddress(address);
  const who = shortDeviceId(expectedDeviceId);
  const { signal } = init;
  if (signal?.aborted === true) return Promise.reject(abortedError(who, where, signal.reason));

  return new Promise<WebSocket>((resolve, reject) => {
    let settled = false;
    let ws: WebSocket | undefined;
    const socket: TLSSocket = tlsConnect(clientTlsOptions(identity, address.host, address.port));

    const timer = setTimeout(
      () => fail(new InswarmError('E_LINK_FAILED', `The link to ${who} at ${where} did not finish its handshake within ${init.handshakeTimeoutMs} ms: the peer may be busy or unreachable; it will be tried again.`)),
      init.handshakeTimeoutMs,
    );
    const onAbort = () => fail(abortedError(who, where, signal?.reason));
    const onSocketError = (err: Error) => fail(failedError(who, where, err.message, err));
    const onSocketClose = () => fail(failedError(who, where, 'the peer closed the connection during the handshake (it may refuse this device)'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onSocketError);
    socket.once('close', onSocketClose);

    function cleanup(): void {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onSocketError);
      socket.off('close', onSocketClose);
    }

    function fail(err: Error): void {
      if (settled) return;
      cleanup();
      // Late errors from a dying socket or handshake have no one to tell.
      socket.on('error', () => undefined);
      ws?.terminate();
      socket.destroy();
      reject(err);
    }

    socket.once('secureConnect', () => {
      if (settled) return;
      const presented = peerDeviceId(socket);
      if (presented !== expectedDeviceId) {
        init.onRefusal?.({
          reason: 'mismatch',
          direction: 'out',
          address,
          expectedDeviceId,
          ...(presented === undefined ? {} : { deviceId: presented }),
        });
        const found = presented === undefined ? 'no device certificate' : `device ${shortDeviceId(presented)}`;
        fail(
          new InswarmError(
            'E_PEER_MISMATCH',
            `The device at ${where} is not ${who} (it presented ${found}), so no link was made: the address may now belong to another device.`,
          ),
        );
        return;
      }
      upgrade();
    });

    function upgrade(): void {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      ws = new WebSocket(`wss://${host}:${address.port}${LINK_PATH}`, {
        // The socket is already connected and authenticated above; ws must not dial its own.
        createConnection: () => socket,
        maxPayload: init.maxFrameBytes,
        // Blobs are age ciphertext: incompressible.
        perMessageDeflate: false,
        followRedirects: false,
        // A zero masking key, so ws sends our frames as they are instead of copying and XOR-ing
        // every byte into a new buffer. Masking keeps script in a browser from steering the bytes
        // a plain-text proxy sees (RFC 6455, 10.3); here no script writes frames and only TLS
        // bytes cross the network, which no proxy can read.
        generateMask: (mask: Buffer) => void mask.fill(0),
      });
      const onWsError = (err: Error) => fail(failedError(who, where, err.message, err));
      const onWsClose = () => fail(failedError(who, where, 'the connection closed during the WebSocket handshake'));
      ws.on('error', onWsError);
      ws.once('close', onWsClose);
      ws.once('unexpected-response', (_req, res) => {
        const refusal = String(res.headers[REFUSAL_HEADER] ?? '');
        if (refusal === 'too-many-links') {
          fail(new InswarmError('E_LINK_LIMIT', `The peer ${who} at ${where} has too many links open right now: it will be tried again later.`));
        } else {
          fail(new InswarmError('E_PEER_REFUSED', `The peer ${who} at ${where} refused the link (HTTP ${res.statusCode ?? '?'}${refusal === '' ? '' : `, ${refusal}`}).`));
        }
      });
      ws.once('open', () => {
        const open = ws!;
        if (settled) return;
        cleanup();
        open.off('error', onWsError);
        open.off('close', onWsClose);
        // Hold frames until the caller wraps the socket in a channel, which listens from then on.
        open.pause();
        resolve(open);
      });
    }
  });
}

function abortedError(who: string, where: string, reason: unknown): InswarmError {
  return new InswarmError('E_ABORTED', `Connecting to ${who} at ${where} was cancelled.`, { cause: reason });
}

function failedError(who: string, where: string, why: string, cause?: unknown): InswarmError {
  return new InswarmError('E_LINK_FAILED', `Could not open a link to ${who} at ${where}: ${why}.`, cause === undefined ? undefined : { cause });
}

/**
 * Trust on first use for a peer added by address only: completes a TLS handshake (mutual, like a
 * link), reads the device ID the peer's certificate hashes to, and hangs up before any HTTP. The
 * caller then dials that ID pinned, so every later link is checked against it.
 */
export function probeDeviceId(identity: DeviceIdentity, address: PeerAddress, timeoutMs: number): Promise<string> {
  const where = formatAddress(address);
  return new Promise<string>((resolve, reject) => {
    const socket: TLSSocket = tlsConnect(clientTlsOptions(identity, address.host, address.port));
    const timer = setTimeout(() => done(new InswarmError('E_LINK_FAILED', `No peer answered at ${where} within ${timeoutMs} ms: check the address, or whether Inswarm runs there.`)), timeoutMs);
    function done(result: Error | string): void {
      clearTimeout(timer);
      socket.removeAllListeners('secureConnect');
      socket.on('error', () => undefined);
      socket.destroy();
      if (typeof result === 'string') resolve(result);
      else reject(result);
    }
    socket.once('error', (err) => done(new InswarmError('E_LINK_FAILED', `Could not reach a peer at ${where}: ${err.message}.`, { cause: err })));
    socket.once('secureConnect', () => {
      const id = peerDeviceId(socket);
      done(id ?? new InswarmError('E_PEER_MISMATCH', `The service at ${where} presented no device certificate: it is not an Inswarm peer.`));
    });
  });
}
