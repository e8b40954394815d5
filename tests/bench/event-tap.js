// Preloaded into a measured `inswarm start` process with `node --import`, like rss-reporter.js, so
// the benchmark learns when the node's own events happen without any change to the product: it
// wraps EventBus.prototype.emit of the very module the CLI loads (an ES module is one instance per
// URL) and forwards the events named in INSWARM_BENCH_EVENTS (comma-separated) to the parent over
// the IPC channel, each stamped with performance.now() of this process (milliseconds; compare only
// stamps of one process). `*:progress` events come once per data frame, so only the first and the
// last one of each blob are forwarded: enough for a rate, and the tap stays off the hot path.
// Events go in batches, every BATCH_MS and when the parent sends {flush: true} (answered with
// {flushed: true} once sent): one IPC message per event cost the origin of 2,000 small blobs a
// quarter of a millisecond per blob, charged to the product. A stamp is taken when the event
// happens, so batching delays no measurement. The channel is unref'd so it never keeps the node alive.
// Each event also carries `cpu`, process.cpuUsage() at that moment (microseconds of user and system
// time, every thread of the process): the CPU a node spent between two of its events.
import { EventBus } from '../../dist/main/core/events.js';

const wanted = new Set((process.env.INSWARM_BENCH_EVENTS ?? '').split(',').filter(Boolean));
/** How long an event may wait in the batch. */
const BATCH_MS = 50;

if (typeof process.send === 'function' && wanted.size > 0) {
  process.channel?.unref();
  let batch = [];
  let timer = null;
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (batch.length > 0) process.send(batch);
    batch = [];
  };
  process.on('message', (message) => {
    if (message?.flush !== true) return;
    flush();
    process.send({ flushed: true });
  });
  process.channel?.unref(); // listening for 'message' ref'd it again
  const progressing = new Set(); // `${name}/${blobId}` whose first progress was forwarded
  const emit = EventBus.prototype.emit;
  EventBus.prototype.emit = function tappedEmit(name, payload) {
    if (wanted.has(name)) {
      const t = performance.now();
      let forward = true;
      if (name.endsWith(':progress')) {
        const key = `${name}/${payload.blobId}`;
        const done = (payload.sent ?? payload.received) === payload.size;
        forward = done || !progressing.has(key);
        if (done) progressing.delete(key);
        else progressing.add(key);
      }
      if (forward) {
        batch.push({ t, cpu: process.cpuUsage(), name, payload });
        if (timer === null) {
          timer = setTimeout(flush, BATCH_MS);
          timer.unref();
        }
      }
    }
    return emit.call(this, name, payload);
  };
}
