// The Windows probe's parsers against output in the formats of netsh, route print and arp -a
// (tests/fixtures/homenet/windows, CRLF as Windows prints): Wi-Fi, a machine without Wi-Fi, a
// disconnected Wi-Fi, two adapters, and German labels.

import { describe, expect, it } from 'vitest';
import { WindowsProbe, parseArpA, parseNetshInterfaces, parseRoutePrint } from '../../../../src/main/core/homenet/windows.js';
import { fail, fixture, ok, recordedRunner, type Answer } from './recorded.js';

describe('netsh wlan show interfaces', () => {
  it.each([
    ['netsh-connected', 'HomeNet 5G'], // Windows 11: "AP BSSID" line must not be taken
    ['netsh-connected-win10', 'Café Lumière'], // Windows 10: "BSSID" line
    ['netsh-two-interfaces', 'Office'], // the first adapter is disconnected
    ['netsh-disconnected', null],
    ['netsh-no-wifi', null],
    ['netsh-service-stopped', null],
  ] as const)('%s → %j', (name, expected) => {
    expect(parseNetshInterfaces(fixture(`windows/${name}.txt`))).toBe(expected);
  });
});

describe('route print -4 0.0.0.0', () => {
  it.each([
    ['route-print-wifi', { gatewayIp: '192.168.1.1', iface: '192.168.1.34' }],
    ['route-print-ethernet', { gatewayIp: '10.20.0.1', iface: '10.20.0.57' }], // the 4-column persistent route is ignored
    ['route-print-two', { gatewayIp: '10.20.0.1', iface: '10.20.0.57' }], // metric 25 beats 55
    ['route-print-german', { gatewayIp: '192.168.178.1', iface: '192.168.178.34' }],
    ['route-print-none', null],
  ] as const)('%s', (name, expected) => {
    expect(parseRoutePrint(fixture(`windows/${name}.txt`))).toEqual(expected);
  });

  it('an On-link default route has no gateway', () => {
    expect(parseRoutePrint('          0.0.0.0          0.0.0.0         On-link     192.168.137.1    281\r\n')).toEqual({ gatewayIp: null, iface: '192.168.137.1' });
  });
});

describe('arp -a', () => {
  it('reads the gateway row', () => {
    expect(parseArpA(fixture('windows/arp-a.txt'), '192.168.1.1', '192.168.1.34')).toBe('00:1a:2b:03:04:05');
    expect(parseArpA(fixture('windows/arp-a-german.txt'), '192.168.178.1', '192.168.178.34')).toBe('3c:a6:2f:11:22:33');
    expect(parseArpA(fixture('windows/arp-a-none.txt'), '192.168.1.1', '192.168.1.34')).toBeNull();
  });

  it("takes the row in the default route's interface block, and never a broadcast row", () => {
    const text = fixture('windows/arp-a-two-interfaces.txt');
    expect(parseArpA(text, '192.168.1.1', '192.168.1.34')).toBe('00:1a:2b:03:04:05');
    expect(parseArpA(text, '192.168.1.1', '10.20.0.57')).toBe('6c:3b:e5:0a:0b:0c');
    expect(parseArpA(text, '192.168.1.1', '172.17.112.1')).toBe('6c:3b:e5:0a:0b:0c'); // that block only has ff-ff-…: fall back to a real one
  });
});

describe('WindowsProbe', () => {
  const ROUTE = 'route print -4 0.0.0.0';
  const ARP = 'arp -a 192.168.1.1';
  const NETSH = 'netsh wlan show interfaces';
  const probe = (answers: Record<string, Answer>) => new WindowsProbe({ run: recordedRunner(answers), nudge: async () => undefined });

  it('on Wi-Fi', async () => {
    const p = probe({ [ROUTE]: ok(fixture('windows/route-print-wifi.txt')), [ARP]: ok(fixture('windows/arp-a.txt')), [NETSH]: ok(fixture('windows/netsh-connected.txt')) });
    expect(await p.current()).toEqual({ ssid: 'HomeNet 5G', gatewayIp: '192.168.1.1', gatewayMac: '00:1a:2b:03:04:05', iface: '192.168.1.34' });
  });

  it('on a machine without Wi-Fi (netsh fails): the gateway alone', async () => {
    const p = probe({
      [ROUTE]: ok(fixture('windows/route-print-ethernet.txt')),
      ['arp -a 10.20.0.1']: ok('\r\nInterface: 10.20.0.57 --- 0x7\r\n  Internet Address      Physical Address      Type\r\n  10.20.0.1             6c-3b-e5-0a-0b-0c     dynamic   \r\n'),
      [NETSH]: fail(1, '', fixture('windows/netsh-no-wifi.txt')),
    });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: '10.20.0.1', gatewayMac: '6c:3b:e5:0a:0b:0c', iface: '10.20.0.57' });
  });

  it('with Wi-Fi disconnected and no default route: no network', async () => {
    const p = probe({ [ROUTE]: ok(fixture('windows/route-print-none.txt')), [NETSH]: ok(fixture('windows/netsh-disconnected.txt')) });
    expect(await p.current()).toEqual({ ssid: null, gatewayIp: null, gatewayMac: null, iface: null });
  });
});
