// The app's command line: the same options as `inswarm start`, read past the switches Electron and
// Chromium add, with wrong values refused in a sentence.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirFor, NODE_DIR_IN_USER_DATA, parseShellArgs } from '../../../src/main/electron/args.js';

describe('parseShellArgs', () => {
  it('reads --data, --listen, --peer (repeated), --no-mdns and --name', () => {
    const args = parseShellArgs(['--data', '/d', '--listen', '[::]:0', '--peer', '10.0.0.2:22100', '--peer', 'host.lan:22101', '--no-mdns', '--name', 'Booth 7']);
    expect(args).toEqual({
      dataDir: '/d',
      listen: { host: '::', port: 0 },
      peers: [expect.objectContaining({ host: '10.0.0.2', port: 22100 }), expect.objectContaining({ host: 'host.lan', port: 22101 })],
      mdns: false,
      name: 'Booth 7',
    });
  });

  it("ignores Electron's and Chromium's own switches and positionals", () => {
    expect(parseShellArgs(['.', '--no-sandbox', '--original-process-start-time=123', '--enable-logging', '--listen', '0.0.0.0:22100'])).toEqual({
      dataDir: null,
      listen: { host: '0.0.0.0', port: 22100 },
      peers: [],
      mdns: true,
      name: undefined,
    });
  });

  it('refuses a wrong --listen or --peer with a sentence that says how to write it', () => {
    expect(() => parseShellArgs(['--listen', '22100'])).toThrow(/--listen "22100" is not HOST:PORT/);
    expect(() => parseShellArgs(['--listen', '1.2.3.4:99999'])).toThrow(/not HOST:PORT/);
    expect(() => parseShellArgs(['--peer', 'nope'])).toThrow(expect.objectContaining({ code: 'E_BAD_PEER_ADDRESS' }));
  });

  it('keeps names to 64 characters, as `inswarm start` does', () => {
    expect(parseShellArgs(['--name', 'n'.repeat(100)]).name).toHaveLength(64);
  });
});

describe('dataDirFor', () => {
  it('takes --data, else INSWARM_DATA, else a folder inside userData', () => {
    const none = parseShellArgs([]);
    expect(dataDirFor(parseShellArgs(['--data', '/a']), { INSWARM_DATA: '/b' }, '/u')).toBe('/a');
    expect(dataDirFor(none, { INSWARM_DATA: '/b' }, '/u')).toBe('/b');
    expect(dataDirFor(none, { INSWARM_DATA: '' }, '/u')).toBe(join('/u', NODE_DIR_IN_USER_DATA));
    expect(dataDirFor(none, {}, '/u')).toBe(join('/u', 'node'));
  });
});
