// The listening side of peer links: HTTPS (TLS 1.3, client certificate required) that accepts
// exactly one thing, a WebSocket upgrade on LINK_PATH. Who may connect is decided by the gate
// (LinkManager) at two points, both before any application frame can flow: right after the TLS
// handshake (before a byte of HTTP is parsed) and at the upgrade request (before the 101).

import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DeviceIdentity } from '../identity/device-identity.js';
import { LINK_PATH, REFUSAL_HEADER, type LinkRefusal, type PeerAddress, type RefusalReason } from './link.js';
import { peerDeviceId, serverTlsOptions } from './peer-tls.js';

/** The listener's questions to its owner, and what it tells it. */
export interface InboundGate {
  /** Right after TLS, before any HTTP is read. Return a reason to drop the connection (and report it). */
  checkPeer(deviceId: string | undefined, address: PeerAddress): RefusalReason | undefined;
  /** At the upgrade request, before the WebSocket handshake completes. Return a reason to refuse (and report it). */
  checkUpgrade(deviceId: string, address: PeerAddress): RefusalReason | undefined;
  /** The WebSocket handshake completed with this authenticated peer. */
  accept(ws: WebSocket, deviceId: string, address: PeerAddress): void;
  /** Something the listener refused on its own: not an upgrade, wrong path, garbage. */
  refused(refusal: LinkRefusal): void;
  /** A connection whose TLS handshake failed (old TLS version, not TLS at all): diagnostics only. */
  tlsFailed(address: PeerAddress, err: Error): void;
}

export interface LinkListenerInit {
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  /** Sockets the listener holds at once, established links included; beyond it new ones are dropped. */
  readonly maxConnections: number;
}

/** HTTP status for each refusal made at the upgrade request. */
const REFUSAL_STATUS: Partial<Record<RefusalReason, string>> = {
  'too-many-links': '503 Service Unavailable',
  'bad-handshake': '400 Bad Request',
};

/** A TLS listener for peer links. */
export class LinkListener {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  /** Device ID of each TLS connection that passed checkPeer and has not upgraded yet. */
  private readonly pending = new Map<TLSSocket, string>();
  /** Every TCP connection the server holds, so that stop can end those still in their TLS handshake. */
  private readonly connections = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(
    identity: DeviceIdentity,
    private readonly gate: InboundGate,
    init: LinkListenerInit,
  ) {
    this.server = createServer(serverTlsOptions(identity, init.handshakeTimeoutMs));
    this.server.maxConnections = init.maxConnections;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: init.maxFrameBytes,
      // Blobs are age ciphertext: incompressible. Deflate would only cost CPU and memory.
      perMessageDeflate: false,
      clientTracking: false,
    });

    // Prepended so the check runs before the HTTP parser sees a byte from this peer.
    this.server.prependListener('secureConnection', (socket: TLSSocket) => this.onSecureConnection(socket, init.handshakeTimeoutMs));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket as TLSSocket, head));
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onPlainRequest(req, res));
    this.server.on('clientError', (err: Error & { code?: string }, socket: Socket) => this.onClientError(err, socket as TLSSocket));
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => this.gate.tlsFailed(remoteOf(socket), err));
    this.server.on('connection', (socket: Socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(address: PeerAddress): Promise<PeerAddress> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(address.port, address.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const bound = this.server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  /** Destroys every connection left, links included: for the end of a stop, after links had their chance to close. */
  destroyAll(): void {
    for (const socket of this.connections) socket.destroy();
  }

  /**
   * Stops accepting and drops connections still waiting for their upgrade. Resolves once every
   * socket is gone, so the owner must close its established links too (or call destroyAll).
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.pending.keys()) socket.destroy();
      this.pending.clear();
      this.wss.close();
    });
    return this.closing;
  }

  private onSecureConnection(socket: TLSSocket, handshakeTimeoutMs: number): void {
    const address = remoteOf(socket);
    const deviceId = peerDeviceId(socket);
    // Every refusal here is final: no HTTP parsing, no response, just the end of the connection.
    if (this.closing !== undefined || this.gate.checkPeer(deviceId, address) !== undefined || deviceId === undefined) {
      socket.destroy();
      return;
    }
    this.pending.set(socket, deviceId);
    // A peer that finished TLS but never upgrades must not hold a connection slot.
    const timer = setTimeout(() => {
      if (this.pending.delete(socket)) {
        this.gate.refused({ reason: 'bad-handshake', direction: 'in', address, deviceId });
        socket.destroy();
      }
    }, handshakeTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.pending.delete(socket);
    });
  }

  private onUpgrade(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    const deviceId = this.pending.get(socket);
    this.pending.delete(socket);
    const address = remoteOf(socket);
    if (deviceId === undefined) {
      socket.destroy(); // not one that passed checkPeer (or it timed out meanwhile)
      return;
    }
    const path = new URL(req.url ?? '/', 'https://peer').pathname;
    if (path !== LINK_PATH || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      this.refuse(socket, 'bad-handshake');
      this.gate.refused({ reason: 'bad-handshake', direction: 'in', address, deviceId });
      return;
    }
    const refusal = this.gate.checkUpgrade(deviceId, address);
    if (refusal !== undefined) {
      this.refuse(socket, refusal);
      return;
    }
    // handleUpgrade answers malformed upgrade requests itself (400) and calls back only on success.
    this.wss.handleUpgrade(req, socket, head, (ws) => this.gate.accept(ws, deviceId, address));
  }

  /** A request that is not an upgrade: this server only speaks WebSocket. */
  private onPlainRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as TLSSocket;
    const deviceId = this.pending.get(socket);
    this.pending.delete(socket);
    this.gate.refused({ reason: 'bad-handshake', direction: 'in', address: remoteOf(socket), ...(deviceId === undefined ? {} : { deviceId }) });
    res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', [REFUSAL_HEADER]: 'bad-handshake' });
    res.end(() => socket.destroy());
  }

  /** Bytes that are not HTTP (or a broken socket) before the upgrade. */
  private onClientError(err: Error & { code?: string }, socket: TLSSocket): void {
    const deviceId = this.pending.get(socket);
    this.pending.delete(socket);
    if (err.code?.startsWith('HPE_') === true || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      this.gate.refused({ reason: 'bad-handshake', direction: 'in', address: remoteOf(socket), ...(deviceId === undefined ? {} : { deviceId }) });
      if (socket.writable) {
        this.refuse(socket, 'bad-handshake');
        return;
      }
    }
    socket.destroy();
  }

  /** Answers with a status line naming the refusal, then ends the connection. */
  private refuse(socket: TLSSocket, reason: RefusalReason): void {
    const status = REFUSAL_STATUS[reason] ?? '403 Forbidden';
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n${REFUSAL_HEADER}: ${reason}\r\n\r\n`);
  }
}

function remoteOf(socket: Socket): PeerAddress {
  return { host: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
}
