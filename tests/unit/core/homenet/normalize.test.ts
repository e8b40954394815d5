// MAC addresses and SSIDs as OS tools print them and people type them, brought to one form; and
// everything that cannot be a gateway's MAC or a Wi-Fi name refused.

import { describe, expect, it } from 'vitest';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { normalizeMac, parseGatewayMac, parseSsid, ssidFromBytes, ssidFromText } from '../../../../src/main/core/homenet/normalize.js';

describe('normalizeMac', () => {
  it.each([
    ['0a:1b:2c:3d:4e:5f', '0a:1b:2c:3d:4e:5f'], // Linux ip
    ['0A:1B:2C:3D:4E:5F', '0a:1b:2c:3d:4e:5f'], // nmcli/BSSID style upper case
    ['0:1a:2b:3:4:5', '00:1a:2b:03:04:05'], // macOS arp drops leading zeros
    ['a:b:c:d:e:f', '0a:0b:0c:0d:0e:0f'],
    ['00-1a-2b-03-04-05', '00:1a:2b:03:04:05'], // Windows arp -a
    ['001a.2b03.0405', '00:1a:2b:03:04:05'], // Cisco
    ['001A2B030405', '00:1a:2b:03:04:05'], // bare
    ['  02:77:2c:00:00:01\n', '02:77:2c:00:00:01'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });

  it.each([
    ['(incomplete)', 'macOS unresolved entry'],
    ['', 'empty'],
    ['00:00:00:00:00:00', 'all zeros (unresolved on some systems)'],
    ['00-00-00-00-00-00', 'all zeros, Windows form'],
    ['0:0:0:0:0:0', 'all zeros, macOS form'],
    ['ff:ff:ff:ff:ff:ff', 'broadcast'],
    ['FF-FF-FF-FF-FF-FF', 'broadcast, Windows form'],
    ['01:00:5e:00:00:fb', 'IPv4 multicast (mDNS)'],
    ['33:33:00:00:00:01', 'IPv6 multicast'],
    ['0a:1b:2c:3d:4e', 'five octets'],
    ['0a:1b:2c:3d:4e:5f:60', 'seven octets (EUI-64)'],
    ['0a:1b-2c:3d:4e:5f', 'mixed separators'],
    ['0a:1b:2c:3d:4e:5g', 'not hex'],
    ['100:1b:2c:3d:4e:5f', 'three digits in an octet'],
    ['0a::2c:3d:4e:5f', 'empty octet'],
  ])('refuses %j (%s)', (input) => {
    expect(normalizeMac(input)).toBeNull();
  });
});

describe('parseGatewayMac', () => {
  it('normalises what a person types', () => {
    expect(parseGatewayMac('0:1A:2b:3:4:5')).toBe('00:1a:2b:03:04:05');
  });

  it('refuses a broadcast address with E_BAD_HOME and one sentence', () => {
    let caught: unknown;
    try {
      parseGatewayMac('ff:ff:ff:ff:ff:ff');
    } catch (err) {
      caught = err;
    }
    expect(isInswarmError(caught, 'E_BAD_HOME')).toBe(true);
    expect((caught as Error).message).toMatch(/^"ff:ff:ff:ff:ff:ff" is not a gateway MAC address: .+\.$/);
  });

  it('escapes control characters when quoting bad input', () => {
    expect(() => parseGatewayMac('\u001b[31mred')).toThrow(/"\\x1b\[31mred"/);
  });
});

describe('SSIDs', () => {
  it('takes 1 to 32 bytes of UTF-8', () => {
    expect(parseSsid('Café Lumière')).toBe('Café Lumière');
    expect(parseSsid('x'.repeat(32))).toBe('x'.repeat(32));
    expect(parseSsid('é'.repeat(16))).toBe('é'.repeat(16)); // 32 bytes
    expect(parseSsid(' spaced ')).toBe(' spaced '); // spaces are part of an SSID
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(33), '33 bytes'],
    ['é'.repeat(17), '17 characters but 34 bytes'],
    ['tab\there', 'a control character'],
    ['bad\ud800', 'a lone surrogate (no UTF-8 form)'],
  ])('refuses %j (%s) with E_BAD_HOME', (input) => {
    expect(() => parseSsid(input)).toThrow(expect.objectContaining({ code: 'E_BAD_HOME' }));
  });

  it('reads bytes from a tool: hidden, too long, non-UTF-8 and control characters give null', () => {
    expect(ssidFromBytes(Buffer.from('HomeNet'))).toBe('HomeNet');
    expect(ssidFromBytes(Buffer.alloc(0))).toBeNull();
    expect(ssidFromBytes(Buffer.alloc(33, 0x41))).toBeNull();
    expect(ssidFromBytes(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBeNull(); // Latin-1 "Café"
    expect(ssidFromBytes(Buffer.from('a\u0000b'))).toBeNull();
    expect(ssidFromText('Café Lumière')).toBe('Café Lumière');
    expect(ssidFromText('')).toBeNull();
  });
});
