// The macOS probe's parsers against output in the formats of route, arp, networksetup and ipconfig
// (tests/fixtures/homenet/macos), including macOS's unpadded MACs and its SSID redaction; and the
// probe's steps with that output standing in for the tools.

import { describe, expect, it } from 'vitest';
import { MacosProbe, parseArp, parseIpconfigSummary, parseNetworksetupAirport, parseRouteGet } from '../../../../src/main/core/homenet/macos.js';
import { fail, fixture, ok, recordedRunner, type Answer } from './recorded.js';

describe('macOS parsers', () => {
  it('reads the default route', () => {
    expect(parseRouteGet(fixture('macos/route-get-default-wifi.txt'))).toEqual({ gatewayIp: '192.168.1.1', iface: 'en0' });
    expect(parseRouteGet(fixture('macos/route-get-default-ethernet.txt'))).toEqual({ gatewayIp: '10.20.0.1', iface: 'en7' });
    expect(parseRouteGet(fixture('macos/route-get-default-vpn.txt'))).toEqual({ gatewayIp: null, iface: 'utun4' });
    expect(parseRouteGet('')).toBeNull();
  });

  it('reads arp, padding the octets macOS prints without leading zeros', () => {
    expect(parseArp(fixture('macos/arp-resolved.txt'), '192.168.1.1', 'en0')).toBe('00:1a:2b:03:04:05');
    expect(parseArp(fixture('macos/arp-incomplete.txt'), '192.168.1.1', 'en0')).toBeNull();
    expect(parseArp(fixture('macos/arp-no-entry.txt'), '192.168.1.1', 'en0')).toBeNull();
    expect(parseArp(fixture('macos/arp-resolved.txt'), '192.168.1.2', 'en0')).toBeNull();
  });

  it("prefers the default route's interface when the gateway's address is known on two", () => {
    expect(parseArp(fixture('macos/arp-two-interfaces.txt'), '192.168.1.1', 'en0')).toBe('00:1a:2b:03:04:05');
    expect(parseArp(fixture('macos/arp-two-interfaces.txt'), '192.168.1.1', 'en5')).toBe('6c:3b:e5:0a:0b:0c');
    expect(parseArp(fixture('macos/arp-two-interfaces.txt'), '192.168.1.1', 'en9')).toBe('6c:3b:e5:0a:0b:0c');
  });

  it('reads networksetup, old and new wording', () => {
    expect(parseNetworksetupAirport(fixture('macos/networksetup-connected.txt'))).toBe('Café Lumière');
    expect(parseNetworksetupAirport(fixture('macos/networksetup-airport.txt'))).toBe('HomeNet');
    expect(parseNetworksetupAirport(fixture('macos/networksetup-not-associated.txt'))).toBeNull();
    expect(parseNetworksetupAirport(fixture('macos/networksetup-not-wifi.txt'))).toBeNull();
  });

  it('reads the SSID line of ipconfig getsummary, never BSSID, and not a redacted one', () => {
    expect(parseIpconfigSummary(fixture('macos/ipconfig-getsummary-wifi.txt'))).toBe('Café Lumière');
    expect(parseIpconfigSummary(fixture('macos/ipconfig-getsummary-redacted.txt'))).toBeNull();
    expect(parseIpconfigSummary(fixture('macos/ipconfig-getsummary-ethernet.txt'))).toBeNull();
  });
});

describe('MacosProbe', () => {
  const ROUTE = 'route -n get default';
  const ARP = 'arp -n 192.168.1.1';
  const NETWORKSETUP = 'networksetup -getairportnetwork en0';
  const SUMMARY = 'ipconfig getsummary en0';

  function probe(answers: Record<string, Answer>) {
    const run = recordedRunner(answers);
    const nudged: string[] = [];
    return { probe: new MacosProbe({ run, nudge: async (ip) => void nudged.push(ip) }), run, nudged };
  }

  it('falls back to ipconfig getsummary when networksetup hides the SSID (macOS 14.4+)', async () => {
    const { probe: p } = probe({
      [ROUTE]: ok(fixture('macos/route-get-default-wifi.txt')),
      [ARP]: ok(fixture('macos/arp-resolved.txt')),
      [NETWORKSETUP]: ok(fixture('macos/networksetup-not-associated.txt')),
      [SUMMARY]: ok(fixture('macos/ipconfig-getsummary-wifi.txt')),
    });
    expect(await p.current()).toEqual({ ssid: 'Café Lumière', gatewayIp: '192.168.1.1', gatewayMac: '00:1a:2b:03:04:05', iface: 'en0' });
  });

  it('leaves the SSID null when both redact it, and still finds the gateway after nudging ARP', async () => {
    const { probe: p, nudged } = probe({
      [ROUTE]: ok(fixture('macos/route-get-default-wifi.txt')),
      [ARP]: [fail(1, '', fixture('macos/arp-no-entry.txt')), ok(fixture('macos/arp-resolved.txt'))],
      [NETWORKSETUP]: ok(fixture('macos/networksetup-not-associated.txt')),
      [SUMMARY]: ok(fixture('macos/ipconfig-getsummary-redacted.txt')),
    });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: '192.168.1.1', gatewayMac: '00:1a:2b:03:04:05', iface: 'en0' });
    expect(nudged).toEqual(['192.168.1.1']);
  });

  it('reports no network when route finds no default ("not in table")', async () => {
    const { probe: p } = probe({ [ROUTE]: fail(1, 'route: writing to routing socket: not in table\n') });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: null, gatewayMac: null, iface: null });
  });

  it('fails with E_NET_PROBE when route fails otherwise or is missing', async () => {
    await expect(probe({ [ROUTE]: fail(69, 'route: socket: Operation not permitted\n') }).probe.current()).rejects.toMatchObject({ code: 'E_NET_PROBE' });
    await expect(probe({}).probe.current()).rejects.toMatchObject({ code: 'E_NET_PROBE', message: expect.stringContaining('"route" command is missing') });
  });
});
