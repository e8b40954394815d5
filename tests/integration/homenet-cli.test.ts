// `inswarm net` and `inswarm home` as a user runs them (the built CLI, a temp data folder):
// help, usage errors (exit 2), refusals (exit 1, one sentence), and what add/list/remove print.
// The network itself is checked in namespaces by homenet-netns.test.ts; here `net` only has to
// read whatever network this machine has.

import { describe, expect, it } from 'vitest';
import type { NetView } from '../../src/main/cli/commands/net.js';
import type { HomeNetwork } from '../../src/main/core/homenet/home-networks.js';
import { inswarm, inswarmOk } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

function expectOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^inswarm: .+[.:].*$/);
}

describe('inswarm net / home', () => {
  it('have --help', async () => {
    for (const name of ['net', 'home']) {
      const r = await inswarm([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: inswarm ${name}`));
    }
  });

  it('net --json prints a fingerprint of this machine and home: false with no home networks', async () => {
    const data = await tempDir('homenet-cli');
    const v = JSON.parse(await inswarmOk(['net', '--json'], data)) as NetView;
    expect(Object.keys(v).sort()).toEqual(['gatewayIp', 'gatewayMac', 'home', 'homeNetwork', 'iface', 'ssid']);
    expect(v.home).toBe(false);
    expect(v.homeNetwork).toBeNull();
    if (v.gatewayMac !== null) expect(v.gatewayMac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const text = await inswarmOk(['net'], data);
    expect(text).toMatch(/^Wi-Fi \(SSID\): .+\nGateway: .+\nHome network: +no$/);
  });

  it('add, list and remove home networks', async () => {
    const data = await tempDir('homenet-cli');
    expect(await inswarmOk(['home', 'add', '--ssid', 'Café Lumière'], data)).toBe('Added home network 1 "Café Lumière" (SSID "Café Lumière").');
    expect(await inswarmOk(['home', 'add', '--label', 'Office', '--gateway-mac', '0:1A:2B:3:4:5'], data)).toBe('Added home network 2 "Office" (gateway 00:1a:2b:03:04:05).');
    const both = JSON.parse(await inswarmOk(['home', 'add', '--json', '--label', 'Parents', '--ssid', 'FRITZ!Box 7590', '--gateway-mac', '3c-a6-2f-11-22-33'], data)) as HomeNetwork;
    expect(both).toMatchObject({ id: 3, label: 'Parents', ssid: 'FRITZ!Box 7590', gatewayMac: '3c:a6:2f:11:22:33' });

    const list = JSON.parse(await inswarmOk(['home', 'list', '--json'], data)) as HomeNetwork[];
    expect(list.map((h) => [h.id, h.label, h.ssid, h.gatewayMac])).toEqual([
      [1, 'Café Lumière', 'Café Lumière', null],
      [2, 'Office', null, '00:1a:2b:03:04:05'],
      [3, 'Parents', 'FRITZ!Box 7590', '3c:a6:2f:11:22:33'],
    ]);
    const table = (await inswarmOk(['home', 'list'], data)).split('\n');
    expect(table[0]).toMatch(/^ID +LABEL +SSID +GATEWAY MAC +ADDED$/);
    expect(table[2]).toMatch(/^2 +Office +- +00:1a:2b:03:04:05 +\d{4}-\d\d-\d\d \d\d:\d\d$/);

    expect(await inswarmOk(['home', 'remove', '2'], data)).toBe('Removed home network 2 "Office" (gateway 00:1a:2b:03:04:05).');
    expect(await inswarmOk(['home', 'remove', 'Parents'], data)).toMatch(/^Removed home network 3 /);
    expect((JSON.parse(await inswarmOk(['home', 'list', '--json'], data)) as HomeNetwork[]).map((h) => h.id)).toEqual([1]);
  });

  it('refuses bad values with exit 1 and one sentence, and stores nothing', async () => {
    const data = await tempDir('homenet-cli');
    for (const args of [
      ['home', 'add', '--gateway-mac', 'ff:ff:ff:ff:ff:ff'],
      ['home', 'add', '--gateway-mac', 'router'],
      ['home', 'add', '--ssid', 'x'.repeat(33)],
      ['home', 'add', '--ssid', 'ok', '--label', '7'],
      ['home', 'remove', 'nowhere'],
    ]) {
      const r = await inswarm(args, { data });
      expect(r.code, args.join(' ')).toBe(1);
      expectOneSentence(r.stderr);
    }
    await inswarmOk(['home', 'add', '--ssid', 'HomeNet'], data);
    const dup = await inswarm(['home', 'add', '--ssid', 'HomeNet'], { data });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already home network 1/);
    expect(JSON.parse(await inswarmOk(['home', 'list', '--json'], data))).toHaveLength(1);
  });

  it('usage mistakes exit 2', async () => {
    const data = await tempDir('homenet-cli');
    for (const args of [
      ['home'],
      ['home', 'frob'],
      ['home', 'add'],
      ['home', 'add', 'extra', '--ssid', 'x'],
      ['home', 'add', '--current', '--ssid', 'x'],
      ['home', 'remove'],
      ['home', 'list', '--ssid', 'x'],
      ['net', 'extra'],
      ['net', '--bogus'],
    ]) {
      expect((await inswarm(args, { data })).code, args.join(' ')).toBe(2);
    }
  });

  it('an empty list prints nothing on stdout and a hint on stderr', async () => {
    const data = await tempDir('homenet-cli');
    const r = await inswarm(['home', 'list'], { data });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/inswarm home add --current/);
  });
});
