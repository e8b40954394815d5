// Running the OS's own network tools (ip, nmcli, iw, route, arp, networksetup, ipconfig, netsh) and
// nudging ARP: the only place in homenet/ that starts processes or opens sockets. Tools run with
// execFile (no shell: nothing we pass is ever interpreted), a timeout and an output cap.

import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InswarmError } from '../errors.js';
import { HOMENET_ARP_POLL_MS, HOMENET_ARP_WAIT_MS, HOMENET_TOOL_MAX_OUTPUT_BYTES, HOMENET_TOOL_TIMEOUT_MS } from '../limits.js';

export interface ToolResult {
  /** Exit status; tools such as `arp` exit non-zero for "no entry", which callers read as an answer. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ToolOptions {
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a tool; the seam tests and OS probes share (a probe takes one, so parsers can be fed recorded output). */
export type ToolRunner = (file: string, args: readonly string[], options?: ToolOptions) => Promise<ToolResult | null>;

/**
 * Runs `file args…` and resolves with what it printed, or null when the tool is not installed
 * (a missing nmcli or iw is normal, not an error). A tool that hangs past the timeout or prints
 * more than the cap throws E_NET_PROBE.
 */
export const runTool: ToolRunner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        encoding: 'utf8',
        timeout: HOMENET_TOOL_TIMEOUT_MS,
        maxBuffer: HOMENET_TOOL_MAX_OUTPUT_BYTES,
        windowsHide: true,
        signal: options.signal,
        env: options.env ?? process.env,
      },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') return resolve(null);
        if (e.name === 'AbortError') return reject(err);
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return reject(new InswarmError('E_NET_PROBE', `"${file}" printed more than ${HOMENET_TOOL_MAX_OUTPUT_BYTES} bytes, so the network could not be read: run "${file} ${args.join(' ')}" yourself to see why.`, { cause: err }));
        }
        if (e.killed === true || (e.signal !== null && e.signal !== undefined)) {
          return reject(new InswarmError('E_NET_PROBE', `"${file}" did not answer within ${HOMENET_TOOL_TIMEOUT_MS / 1000} s, so the network could not be read: check that the system's network service is responding and try again.`, { cause: err }));
        }
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
        reject(new InswarmError('E_NET_PROBE', `"${file}" could not be started (${String(e.code ?? e.message)}), so the network could not be read: check the system's network tools.`, { cause: err }));
      },
    );
  });

/**
 * Runs a tool the probe cannot do without (ip, route, arp, netsh): a missing one makes the network
 * unknowable, so that is E_NET_PROBE with what to install.
 */
export async function runRequired(run: ToolRunner, file: string, args: readonly string[], install: string, options?: ToolOptions): Promise<ToolResult> {
  const result = await run(file, args, options);
  if (result === null) throw new InswarmError('E_NET_PROBE', `The "${file}" command is missing, so the current network cannot be identified: ${install}.`);
  return result;
}

/**
 * Runs an optional tool (nmcli, iw, networksetup, ipconfig) whose only job is the SSID: missing,
 * failing or hanging, it just leaves the SSID unknown. Aborts still propagate.
 */
export async function runOptional(run: ToolRunner, file: string, args: readonly string[], options?: ToolOptions): Promise<ToolResult | null> {
  try {
    return await run(file, args, options);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return null;
  }
}

/** Sends something to a gateway so the OS resolves its MAC address (see nudgeArp); injectable for tests. */
export type Nudger = (gatewayIp: string) => Promise<void>;

/**
 * Sends one empty UDP datagram to the gateway's discard port (9). The kernel must resolve the
 * gateway's MAC address to send it, which fills the neighbour (ARP) table we then read. Nothing
 * listens on port 9, and one packet is less than a single ping. Errors (no route, …) are ignored:
 * the re-read simply finds no entry.
 */
export const nudgeArp: Nudger = (gatewayIp) =>
  new Promise((resolve) => {
    if (!isIPv4(gatewayIp)) return resolve();
    const socket = createSocket('udp4');
    const done = (): void => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve();
    };
    socket.once('error', done);
    socket.send(Buffer.alloc(0), 9, gatewayIp, done);
  });

/**
 * Reads a MAC address with `read`; when it has none, nudges ARP once and re-reads every
 * HOMENET_ARP_POLL_MS until HOMENET_ARP_WAIT_MS have passed. Null if the gateway never answers.
 */
export async function readMacWithNudge(gatewayIp: string, read: () => Promise<string | null>, nudge: Nudger, signal?: AbortSignal): Promise<string | null> {
  const first = await read();
  if (first !== null) return first;
  await nudge(gatewayIp);
  const deadline = Date.now() + HOMENET_ARP_WAIT_MS;
  while (Date.now() < deadline) {
    await sleep(HOMENET_ARP_POLL_MS, undefined, { signal });
    const mac = await read();
    if (mac !== null) return mac;
  }
  return null;
}
