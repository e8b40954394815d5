// A real, rate-limited link for the transfer suite: two network namespaces joined by a veth pair,
// each end shaped by a tbf qdisc, so origin and holder talk the way two laptops in a room do (the
// link, not this machine's shared CPU, sets the pace). Addresses are in 10.77.0.0/16, the range
// the project's tests may use; the namespaces are this process's own and removed again on close()
// and on exit. Needs root, iproute2 (ip, tc) and util-linux's nsenter; unavailable() says which
// one is missing.

import { execFileSync } from 'node:child_process';

const HOLDER_ADDR = '10.77.99.1';
const ORIGIN_ADDR = '10.77.99.2';
/** tbf's bucket: a few frames' worth, so the shaped rate holds over milliseconds, not seconds. */
const TBF_BURST = '256kb';
/** How long a packet may queue in tbf before it is dropped: a switch's buffer, not bufferbloat. */
const TBF_LATENCY = '20ms';

const run = (command, args) => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** Why a shaped link cannot be made here, or null when it can. */
export function unavailable() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const [tool, args] of [['ip', ['-V']], ['tc', ['-V']], ['nsenter', ['--version']]]) {
    try {
      run(tool, args);
    } catch {
      return `needs ${tool}`;
    }
  }
  return null;
}

/**
 * Opens the link at `rate` (a tc rate such as "800mbit", each direction). Returns the two ends,
 * each { ns, addr }, `command(end, file, args)` giving the [file, args] that run a program inside
 * an end's namespace (nsenter executes it in place: same PID, same descriptors, so IPC and
 * signals work as for a plain child), and close().
 */
export function openLink(rate) {
  const names = { holder: `inswarm-bench-h-${process.pid}`, origin: `inswarm-bench-o-${process.pid}` };
  const close = () => {
    for (const ns of Object.values(names)) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // not there (never made, or already removed)
      }
    }
  };
  process.on('exit', close);
  try {
    for (const ns of Object.values(names)) run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', names.holder, 'link', 'add', 'veth-h', 'type', 'veth', 'peer', 'name', 'veth-o', 'netns', names.origin]);
    const ends = [
      [names.holder, 'veth-h', HOLDER_ADDR],
      [names.origin, 'veth-o', ORIGIN_ADDR],
    ];
    for (const [ns, dev, addr] of ends) {
      run('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', TBF_BURST, 'latency', TBF_LATENCY]);
    }
  } catch (err) {
    close();
    throw new Error(`could not make the shaped link: ${err.stderr?.trim() || err.message}`);
  }
  return {
    holder: { ns: names.holder, addr: HOLDER_ADDR },
    origin: { ns: names.origin, addr: ORIGIN_ADDR },
    command: (end, file, args) => ['nsenter', [`--net=/var/run/netns/${end.ns}`, file, ...args]],
    close: () => {
      process.off('exit', close);
      close();
    },
  };
}
