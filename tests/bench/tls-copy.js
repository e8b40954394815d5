// The transfer suite's baseline: one file moved over a plain `node:tls` socket (TLS 1.3, mutual
// certificates like peer links, loopback) into a file that is fsynced before the receiver says
// so. No WebSocket, no framing, no hashing, no ledger: what node:tls and the disk give on their own.
//
//   node tls-copy.js CERT KEY receive OUT     listens on 127.0.0.1:0, prints {"port"}, takes one
//                                             connection, then prints {"fsyncMs"} and exits
//   node tls-copy.js CERT KEY send PORT IN    prints {"seconds"}: from the finished handshake to
//                                             the receiver's acknowledgement (after its fsync)
//
// Wire format: 8 bytes big-endian length, then the bytes; the receiver answers one byte once the
// file is on disk. Streams use Node's default chunk sizes (a "plain" copy, nothing tuned).

import { closeSync, createReadStream, createWriteStream, fsync, openSync, readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:tls';

const TLS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false };
const [certFile, keyFile, mode, a, b] = process.argv.slice(2);
const identity = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

if (mode === 'receive') {
  const out = a;
  const server = createServer({ ...TLS, ...identity, requestCert: true }, (socket) => {
    server.close();
    const fd = openSync(out, 'wx', 0o600);
    const file = createWriteStream(null, { fd, autoClose: false });
    let header = Buffer.alloc(0);
    let left = -1;
    socket.on('data', (chunk) => {
      if (left < 0) {
        header = Buffer.concat([header, chunk]);
        if (header.length < 8) return;
        left = Number(header.readBigUInt64BE(0));
        chunk = header.subarray(8);
      }
      left -= chunk.length;
      if (!file.write(chunk)) {
        socket.pause();
        file.once('drain', () => socket.resume());
      }
      if (left === 0) {
        file.end(() => {
          const begin = performance.now();
          fsync(fd, (err) => {
            if (err) throw err;
            closeSync(fd);
            const fsyncMs = performance.now() - begin;
            socket.end(Buffer.from([1]));
            console.log(JSON.stringify({ fsyncMs }));
          });
        });
      }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
} else if (mode === 'send') {
  const port = Number(a);
  const input = b;
  const size = statSync(input).size;
  const socket = connect({ ...TLS, ...identity, host: '127.0.0.1', port, checkServerIdentity: () => undefined });
  socket.on('secureConnect', () => {
    const begin = performance.now();
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(BigInt(size));
    socket.write(header);
    createReadStream(input).pipe(socket, { end: false });
    socket.once('data', () => {
      console.log(JSON.stringify({ seconds: (performance.now() - begin) / 1000, protocol: socket.getProtocol(), cipher: socket.getCipher().name }));
      socket.destroy();
    });
  });
} else {
  console.error('usage: tls-copy.js CERT KEY receive OUT | CERT KEY send PORT IN');
  process.exitCode = 2;
}
