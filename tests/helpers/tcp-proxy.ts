// A byte-counting TCP relay on 127.0.0.1, put between two real nodes to measure what crosses the
// wire (e.g. how much of a blob an origin re-sends after a crash). It relays TLS untouched: the
// nodes still authenticate each other end to end. When either side closes, so does the other.

import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port to dial instead of the target's. */
  readonly port: number;
  /** Bytes relayed from dialers to the target, and back, since start or the last reset. */
  readonly toTarget: number;
  readonly fromTarget: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let toTarget = 0;
  let fromTarget = 0;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(client);
    track(upstream);
    client.on('data', (d: Buffer) => {
      toTarget += d.length;
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (d: Buffer) => {
      fromTarget += d.length;
      if (!client.write(d)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    // A crash on either side (kill -9) ends both halves at once, as a direct link would.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    port,
    get toTarget() {
      return toTarget;
    },
    get fromTarget() {
      return fromTarget;
    },
    reset() {
      toTarget = 0;
      fromTarget = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
