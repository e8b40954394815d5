// The Linux probe's parsers against output recorded from iproute2 6.1 (routes and neighbour states
// taken in network namespaces), NetworkManager and iw; and the probe's steps (JSON first, text
// fallback, ARP nudge, missing tools) with those recordings standing in for the processes. The
// real tools run in tests/integration/homenet-netns.test.ts.

import { describe, expect, it } from 'vitest';
import { LinuxProbe, parseIpNeighJson, parseIpNeighText, parseIpRouteJson, parseIpRouteText, parseIwLink, parseNmcliWifi, splitTerse } from '../../../../src/main/core/homenet/linux.js';
import { fail, fixture, ok, recordedRunner, type Answer } from './recorded.js';

describe('default route (ip -j route / ip route)', () => {
  it.each([
    ['ip-route-wifi', { gatewayIp: '192.168.178.1', iface: 'wlp0s20f3' }],
    ['ip-route-docked', { gatewayIp: '10.20.0.1', iface: 'enp0s31f6' }], // metric 100 beats Wi-Fi's 600, as in the kernel
    ['ip-route-multipath', { gatewayIp: '10.77.44.1', iface: 'va' }], // first next hop of the metric-0 multipath route
    ['ip-route-devonly', { gatewayIp: null, iface: 'wg0' }], // point-to-point: no gateway
    ['ip-route-unreachable', null],
    ['ip-route-none', null],
  ] as const)('%s: JSON and text forms agree', (name, expected) => {
    expect(parseIpRouteJson(fixture(`linux/${name}.json`))).toEqual(expected);
    expect(parseIpRouteText(fixture(`linux/${name}.txt`))).toEqual(expected);
  });

  it('treats empty output as no route, and refuses text that is not ip JSON', () => {
    expect(parseIpRouteJson('')).toBeNull();
    expect(() => parseIpRouteJson('default via 10.0.0.1 dev eth0')).toThrow();
    expect(() => parseIpRouteJson('{"dst":"default"}')).toThrow();
  });

  it('never passes on an interface name that could be read as an option, nor a non-IPv4 gateway', () => {
    expect(parseIpRouteJson('[{"dst":"default","gateway":"10.0.0.1","dev":"-rf"}]')).toEqual({ gatewayIp: '10.0.0.1', iface: null });
    expect(parseIpRouteJson('[{"dst":"default","gateway":"fe80::1","dev":"eth0"}]')).toEqual({ gatewayIp: null, iface: 'eth0' });
    expect(parseIpRouteText('default via 10.0.0.1 dev a/b')).toEqual({ gatewayIp: '10.0.0.1', iface: null });
  });
});

describe('gateway MAC (ip -j neigh / ip neigh)', () => {
  it.each([
    ['ip-neigh-reachable', '02:77:2c:00:00:01'],
    ['ip-neigh-stale', '02:77:2c:00:00:01'], // stale still names the router
    ['ip-neigh-incomplete', null],
    ['ip-neigh-failed', null],
    ['ip-neigh-none', null],
  ] as const)('%s', (name, expected) => {
    expect(parseIpNeighJson(fixture(`linux/${name}.json`), '10.77.44.1')).toBe(expected);
    expect(parseIpNeighText(fixture(`linux/${name}.txt`), '10.77.44.1')).toBe(expected);
  });

  it('only takes the entry for the gateway asked about, and never a zero or broadcast lladdr', () => {
    const other = '[{"dst":"10.77.44.2","lladdr":"02:77:2c:00:00:02","state":["REACHABLE"]}]';
    expect(parseIpNeighJson(other, '10.77.44.1')).toBeNull();
    expect(parseIpNeighJson('[{"dst":"10.77.44.1","lladdr":"00:00:00:00:00:00","state":["NOARP"]}]', '10.77.44.1')).toBeNull();
    expect(parseIpNeighText('10.77.44.1 lladdr ff:ff:ff:ff:ff:ff PERMANENT', '10.77.44.1')).toBeNull();
    expect(parseIpNeighJson('not json', '10.77.44.1')).toBeNull();
  });
});

describe('SSID (nmcli, iw)', () => {
  it('reads the active network from nmcli SSID-HEX, exactly as its bytes', () => {
    expect(parseNmcliWifi(fixture('linux/nmcli-connected.txt'))).toBe('Café Lumière');
    expect(parseNmcliWifi(fixture('linux/nmcli-disconnected.txt'))).toBeNull();
    expect(parseNmcliWifi('yes:\n')).toBeNull(); // hidden network: no SSID
  });

  it('splits nmcli terse fields with escaped colons and backslashes', () => {
    expect(splitTerse('yes:a\\:b\\\\c:d')).toEqual(['yes', 'a:b\\c', 'd']);
  });

  it('reads iw link, undoing its \\xNN escapes', () => {
    expect(parseIwLink(fixture('linux/iw-link-connected.txt'))).toBe('Café Lumière');
    expect(parseIwLink(fixture('linux/iw-link-escaped.txt'))).toBe(' back\\slash room ');
    expect(parseIwLink(fixture('linux/iw-link-disconnected.txt'))).toBeNull();
  });
});

describe('LinuxProbe', () => {
  const ROUTE_J = 'ip -j -4 route show default';
  const ROUTE_T = 'ip -4 route show default';
  const NEIGH_J = 'ip -j -4 neigh show to 192.168.178.1 dev wlp0s20f3';
  const NEIGH_T = 'ip -4 neigh show to 192.168.178.1 dev wlp0s20f3';
  const NMCLI = 'nmcli -t -f ACTIVE,SSID-HEX device wifi list ifname wlp0s20f3 --rescan no';
  const IW = 'iw dev wlp0s20f3 link';
  const neighbour = (mac: string) => ok(`[{"dst":"192.168.178.1","lladdr":"${mac}","state":["REACHABLE"]}]\n`);

  function probe(answers: Record<string, Answer>) {
    const run = recordedRunner(answers);
    const nudged: string[] = [];
    return { probe: new LinuxProbe({ run, nudge: async (ip) => void nudged.push(ip) }), run, nudged };
  }

  it('puts route, neighbour and nmcli together', async () => {
    const { probe: p, nudged } = probe({ [ROUTE_J]: ok(fixture('linux/ip-route-wifi.json')), [NEIGH_J]: neighbour('84:D8:1B:6E:9A:50'), [NMCLI]: ok(fixture('linux/nmcli-connected.txt')) });
    expect(await p.current()).toEqual({ ssid: 'Café Lumière', gatewayIp: '192.168.178.1', gatewayMac: '84:d8:1b:6e:9a:50', iface: 'wlp0s20f3' });
    expect(nudged).toEqual([]); // the MAC was known: no packet sent
  });

  it('nudges ARP once when the neighbour table has no usable entry, then reads it again', async () => {
    const { probe: p, nudged, run } = probe({
      [ROUTE_J]: ok(fixture('linux/ip-route-wifi.json')),
      [NEIGH_J]: [ok('[]\n'), ok('[{"dst":"192.168.178.1","state":["INCOMPLETE"]}]\n'), neighbour('84:d8:1b:6e:9a:50')],
      [IW]: ok(fixture('linux/iw-link-disconnected.txt')),
    });
    const fp = await p.current();
    expect(fp.gatewayMac).toBe('84:d8:1b:6e:9a:50');
    expect(fp.ssid).toBeNull(); // nmcli missing, iw not connected
    expect(nudged).toEqual(['192.168.178.1']);
    expect(run.calls.filter((c) => c === NEIGH_J)).toHaveLength(3);
  });

  it('gives up on the MAC (null, not an error) when the gateway never answers', async () => {
    const { probe: p, nudged } = probe({ [ROUTE_J]: ok(fixture('linux/ip-route-wifi.json')), [NEIGH_J]: ok(fixture('linux/ip-neigh-failed.json').replaceAll('10.77.44.1', '192.168.178.1')) });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: '192.168.178.1', gatewayMac: null, iface: 'wlp0s20f3' });
    expect(nudged).toHaveLength(1);
  });

  it('falls back to text output where ip does not know -j, and to iw where nmcli is missing', async () => {
    const { probe: p, run } = probe({
      [ROUTE_J]: fail(255, 'Option "-j" is unknown, try "ip -help".\n'),
      [ROUTE_T]: ok(fixture('linux/ip-route-wifi.txt')),
      [NEIGH_T]: ok('192.168.178.1 lladdr 84:d8:1b:6e:9a:50 REACHABLE \n'),
      [IW]: ok(fixture('linux/iw-link-connected.txt')),
    });
    expect(await p.current()).toEqual({ ssid: 'Café Lumière', gatewayIp: '192.168.178.1', gatewayMac: '84:d8:1b:6e:9a:50', iface: 'wlp0s20f3' });
    expect(run.calls).not.toContain(NEIGH_J);
  });

  it('tries iw when NetworkManager is not running', async () => {
    const { probe: p } = probe({
      [ROUTE_J]: ok(fixture('linux/ip-route-wifi.json')),
      [NEIGH_J]: neighbour('84:d8:1b:6e:9a:50'),
      [NMCLI]: fail(8, 'Error: NetworkManager is not running.\n'),
      [IW]: ok(fixture('linux/iw-link-connected.txt')),
    });
    expect((await p.current()).ssid).toBe('Café Lumière');
  });

  it('reports no network at all without a default route, asking nothing else', async () => {
    const { probe: p, run } = probe({ [ROUTE_J]: ok(fixture('linux/ip-route-none.json')) });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: null, gatewayMac: null, iface: null });
    expect(run.calls).toEqual([ROUTE_J]);
  });

  it('fails with E_NET_PROBE and what to install when ip itself is missing', async () => {
    const { probe: p } = probe({});
    await expect(p.current()).rejects.toMatchObject({ code: 'E_NET_PROBE', message: expect.stringMatching(/"ip" command is missing.*iproute2/) });
  });
});
