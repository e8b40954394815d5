// The transfer suite's baseline: files moved over a plain `node:tls` socket (TLS 1.3, mutual
// certificates like peer links, loopback) into files that are fsynced before the receiver says
// so. No WebSocket, no framing, no hashing, no ledger: what node:tls and the disk give on their own.
//
//   node tls-copy.js CERT KEY receive OUT     listens on 127.0.0.1:0, prints {"port"}, takes one
//                                             connection, then prints {"fsyncMs"} and exits
//   node tls-copy.js CERT KEY send PORT IN    prints {"seconds"}: from the finished handshake to
//                                             the receiver's acknowledgement (after its fsync)
//
// Wire format: 8 bytes big-endian length, then the bytes; the receiver answers one byte once the
// file is on disk. Streams use Node's default chunk sizes (a "plain" copy, nothing tuned).
//
// Many files, the floor under many small blobs: what any receiver that keeps each file durable
// pays per file, with no protocol at all.
//
//   node tls-copy.js CERT KEY receive-many DIR COUNT    as receive, for COUNT files in a row
//   node tls-copy.js CERT KEY send-many PORT LIST       LIST names one input file per line
//
// The sender streams every file back to back; the receiver writes each into a new file in DIR,
// fsyncs it, renames it to its final name and fsyncs DIR (what storing a blob durably takes),
// then answers one byte. Files are written in arrival order and fsynced concurrently.
//
//   node tls-copy.js CERT KEY receive-pack DIR COUNT    as receive-many, into one pack file
//
// The floor of the other design, packs as restic keeps them: every file is appended to one file,
// DIR/pack, and answered once an fdatasync that began after its last byte has finished. One
// fdatasync runs at a time and covers every file finished before it began (a group commit).

import { closeSync, createReadStream, createWriteStream, fdatasync, fsync, openSync, readFileSync, rename, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
} else if (mode === 'receive-many') {
  const dir = a;
  const count = Number(b);
  const server = createServer({ ...TLS, ...identity, requestCert: true }, (socket) => {
    server.close();
    let acked = 0;
    receiveFiles(socket, {
      begin: (n) => openSync(join(dir, `${n}.tmp`), 'wx', 0o600),
      end: (fd, n) => {
        fsync(fd, (err) => {
          if (err) throw err;
          closeSync(fd);
          rename(join(dir, `${n}.tmp`), join(dir, String(n)), (renameErr) => {
            if (renameErr) throw renameErr;
            const dirFd = openSync(dir, 'r');
            fsync(dirFd, (dirErr) => {
              if (dirErr) throw dirErr;
              closeSync(dirFd);
              socket.write(Buffer.from([1]));
              if (++acked === count) socket.end();
            });
          });
        });
      },
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
} else if (mode === 'receive-pack') {
  const dir = a;
  const count = Number(b);
  const server = createServer({ ...TLS, ...identity, requestCert: true }, (socket) => {
    server.close();
    const fd = openSync(join(dir, 'pack'), 'wx', 0o600);
    let finished = 0; // files whose last byte is written
    let acked = 0;
    let syncing = false;
    const sync = () => {
      if (syncing || acked === finished) return;
      syncing = true;
      const covered = finished;
      fdatasync(fd, (err) => {
        if (err) throw err;
        syncing = false;
        socket.write(Buffer.alloc(covered - acked, 1));
        acked = covered;
        if (acked === count) {
          closeSync(fd);
          socket.end();
        } else sync();
      });
    };
    receiveFiles(socket, { begin: () => fd, end: () => finished++, afterData: sync });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
} else if (mode === 'send-many') {
  const port = Number(a);
  const inputs = readFileSync(b, 'utf8').split('\n').filter(Boolean);
  const socket = connect({ ...TLS, ...identity, host: '127.0.0.1', port, checkServerIdentity: () => undefined });
  socket.on('secureConnect', async () => {
    const begin = performance.now();
    let acks = 0;
    socket.on('data', (chunk) => {
      acks += chunk.length;
      if (acks === inputs.length) {
        console.log(JSON.stringify({ seconds: (performance.now() - begin) / 1000 }));
        socket.destroy();
      }
    });
    for (const input of inputs) {
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(statSync(input).size));
      socket.write(header);
      await new Promise((done, fail) => {
        const stream = createReadStream(input);
        stream.on('end', done).on('error', fail);
        stream.pipe(socket, { end: false });
      });
    }
  });
} else {
  console.error('usage: tls-copy.js CERT KEY receive OUT | send PORT IN | receive-many DIR COUNT | receive-pack DIR COUNT | send-many PORT LIST');
  process.exitCode = 2;
}

/**
 * Splits what send-many sends on `socket` (per file: 8 bytes big-endian length, then the bytes)
 * and writes each file's bytes to the descriptor `begin(n)` returns for the n-th file; `end(fd, n)`
 * runs once its last byte is written, `afterData()` once each chunk from the socket is.
 */
function receiveFiles(socket, { begin, end, afterData = () => undefined }) {
  let pending = Buffer.alloc(0);
  let file = null; // { fd, left, n }
  let n = 0;
  socket.on('data', (chunk) => {
    let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    while (data.length > 0 || file?.left === 0) {
      if (file === null) {
        if (data.length < 8) {
          pending = Buffer.from(data);
          break;
        }
        file = { fd: begin(n), left: Number(data.readBigUInt64BE(0)), n: n++ };
        data = data.subarray(8);
      }
      const take = Math.min(file.left, data.length);
      if (take > 0) writeSync(file.fd, data, 0, take);
      file.left -= take;
      data = data.subarray(take);
      if (file.left === 0) {
        end(file.fd, file.n);
        file = null;
      }
    }
    afterData();
  });
}
