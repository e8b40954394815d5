// One Inswarm device's discovery, run inside a network namespace by tests/lan/discovery.test.ts.
// It runs the COMPILED module (npm test builds dist first), as the app would.
// usage: node mdns-node.mjs '<json config>'
//   config: { deviceId, name, port, freeBytes, init }
// stdout: one JSON object per line ({ type: 'started' | 'peer:seen' | 'peer:lost' | 'diag' | 'log' | 'error' | 'stopped', t, … })
// stdin commands, one per line: `diag`, `free <bytes>`, `stop`. Closing stdin stops it too, so a
// test that dies never leaves this process behind.
import { createInterface } from 'node:readline';
import { MdnsDiscovery } from '../../dist/main/core/discovery/mdns-discovery.js';

const config = JSON.parse(process.argv[2]);
let freeBytes = config.freeBytes;
const out = (obj) => process.stdout.write(JSON.stringify({ t: Date.now(), ...obj }) + '\n');

const discovery = new MdnsDiscovery(
  {
    deviceId: config.deviceId,
    name: config.name,
    port: config.port,
    freeBytes: () => freeBytes,
    logger: { warn: (message) => out({ type: 'log', level: 'warn', message }), debug: (message) => out({ type: 'log', level: 'debug', message }) },
    onPeerSeen: (peer, isNew) => out({ type: 'peer:seen', peer, isNew }),
    onPeerLost: (peer, reason) => out({ type: 'peer:lost', peer, reason }),
  },
  config.init ?? {},
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await discovery.stop();
  out({ type: 'stopped' });
  process.exit(0);
}

try {
  await discovery.start();
  out({ type: 'started' });
} catch (err) {
  out({ type: 'error', code: err.code, message: err.message });
  process.exit(1);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'diag') out({ type: 'diag', diag: discovery.diagnostics(), heardAnything: discovery.heardAnything, peers: discovery.peers() });
  else if (cmd === 'free') {
    freeBytes = Number(arg);
    discovery.updateFreeSpace();
    out({ type: 'free', freeBytes });
  } else if (cmd === 'stop') void stop();
});
lines.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
