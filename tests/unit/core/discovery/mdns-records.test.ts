import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { freeBucketGiB, inswarmTxt, instanceName, mdnsHostName, orderAddresses, readAdvertisement } from '../../../../src/main/core/discovery/mdns-records.js';
import { MDNS_FREE_MAX_GIB, MDNS_MAX_ADDRESSES_PER_PEER } from '../../../../src/main/core/limits.js';

const GIB = 1024 ** 3;
const ID = formatDeviceId(randomBytes(32));

/** A service as bonjour-service's Browser builds it from an answer: TXT strings as sent in rawTxt. */
function service(overrides: Record<string, unknown> = {}, txt: readonly string[] = [`id=${ID}`, 'v=1', 'free=8']): Record<string, unknown> {
  return {
    name: 'Laptop (ABCDEFG)',
    fqdn: 'Laptop (ABCDEFG)._inswarm._tcp.local',
    host: `${ID.toLowerCase()}.local`,
    port: 22000,
    type: 'inswarm',
    protocol: 'tcp',
    addresses: ['10.77.0.11'],
    referer: { address: '10.77.0.11', family: 'IPv4', port: 5353, size: 300 },
    rawTxt: txt.map((s) => Buffer.from(s)),
    txt: Object.fromEntries(txt.map((s) => s.split(/=(.*)/s).slice(0, 2))),
    ...overrides,
  };
}

describe('freeBucketGiB', () => {
  test.each([
    [0, 0],
    [GIB - 1, 0],
    [GIB, 1],
    [2 * GIB - 1, 1],
    [3 * GIB, 2],
    [9 * GIB, 8],
    [1000 * GIB, 512],
    [1024 * GIB, 1024],
    [2 ** 70, MDNS_FREE_MAX_GIB],
    [-5, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ])('%d bytes → %d GiB', (bytes, bucket) => {
    expect(freeBucketGiB(bytes)).toBe(bucket);
  });
});

test('the TXT record and host name we advertise', () => {
  expect(inswarmTxt(ID, 8)).toEqual({ id: ID, v: '1', free: '8' });
  const host = mdnsHostName(ID);
  expect(host).toBe(`${ID.toLowerCase()}.local`);
  expect(host.split('.')[0]!.length).toBeLessThanOrEqual(63);
});

describe('instanceName', () => {
  test('adds the short ID and keeps the name readable', () => {
    expect(instanceName("Alice's laptop", ID)).toBe(`Alice's laptop (${ID.slice(0, 7)})`);
    expect(instanceName('  my.host.name  ', ID)).toBe(`my-host-name (${ID.slice(0, 7)})`);
    expect(instanceName('', ID)).toBe(`Inswarm (${ID.slice(0, 7)})`);
    expect(instanceName('a\nb\u202ec', ID)).toBe(`a\ufffdb\ufffdc (${ID.slice(0, 7)})`);
  });

  test('always fits one DNS label (63 bytes) without splitting a character', () => {
    for (const name of ['x'.repeat(200), 'ü'.repeat(100), '😀'.repeat(40), `${'a'.repeat(52)}😀`]) {
      const label = instanceName(name, ID);
      expect(Buffer.byteLength(label)).toBeLessThanOrEqual(63);
      expect(label).not.toContain('\ufffd');
      expect(label.endsWith(` (${ID.slice(0, 7)})`)).toBe(true);
    }
  });
});

describe('readAdvertisement', () => {
  test('reads a well-formed advertisement', () => {
    expect(readAdvertisement(service())).toEqual({
      ok: true,
      advert: { deviceId: ID, name: 'Laptop (ABCDEFG)', host: `${ID.toLowerCase()}.local`, port: 22000, addresses: ['10.77.0.11'], freeGiB: 8 },
    });
  });

  test('ignores unknown keys, reads keys case-insensitively, and uses the first of duplicate keys (RFC 6763 §6.4)', () => {
    const other = formatDeviceId(randomBytes(32));
    const r = readAdvertisement(service({}, ['later=1', 'flag', `ID=${ID}`, `id=${other}`, 'v=1', 'free=0', 'free=64']));
    expect(r).toMatchObject({ ok: true, advert: { deviceId: ID, freeGiB: 0 } });
  });

  test('falls back to the decoded TXT when raw strings are absent', () => {
    expect(readAdvertisement(service({ rawTxt: undefined }))).toMatchObject({ ok: true, advert: { deviceId: ID } });
  });

  test('a different protocol version is incompatible, not malformed', () => {
    expect(readAdvertisement(service({}, [`id=${ID}`, 'v=2', 'free=8']))).toMatchObject({ ok: false, reason: 'incompatible' });
  });

  test.each([
    ['no id', [`v=1`, 'free=8']],
    ['an id that is not a device ID', ['id=hello', 'v=1', 'free=8']],
    ['an id with a wrong check character', [`id=${(ID[0] === 'A' ? 'B' : 'A') + ID.slice(1)}`, 'v=1', 'free=8']],
    ['an id not in canonical form', [`id=${ID.toLowerCase()}`, 'v=1', 'free=8']],
    ['an id without dashes', [`id=${ID.replace(/-/g, '')}`, 'v=1', 'free=8']],
    ['no v', [`id=${ID}`, 'free=8']],
    ['no free', [`id=${ID}`, 'v=1']],
    ['free not a power of two', [`id=${ID}`, 'v=1', 'free=3']],
    ['free with a leading zero', [`id=${ID}`, 'v=1', 'free=08']],
    ['free negative', [`id=${ID}`, 'v=1', 'free=-8']],
    ['free above the cap', [`id=${ID}`, 'v=1', `free=${MDNS_FREE_MAX_GIB * 2}`]],
    ['free as a float', [`id=${ID}`, 'v=1', 'free=8.0']],
    ['a non-ASCII key', [`id=${ID}`, 'v=1', 'free=8', 'kéy=1']],
    ['too many strings', [`id=${ID}`, 'v=1', 'free=8', ...Array.from({ length: 40 }, (_, i) => `k${i}=1`)]],
    ['too large a TXT record', [`id=${ID}`, 'v=1', 'free=8', `pad=${'x'.repeat(1300)}`]],
  ])('refuses %s', (_what, txt) => {
    expect(readAdvertisement(service({}, txt))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test.each([
    ['port 0', { port: 0 }],
    ['port 65536', { port: 65536 }],
    ['a non-integer port', { port: 1.5 }],
    ['no host', { host: undefined }],
    ['a 300-character host', { host: 'x'.repeat(300) }],
    ['no name', { name: undefined }],
    ['no usable address', { addresses: ['not an address'], referer: undefined }],
    ['no TXT at all', { rawTxt: undefined, txt: undefined }],
    ['TXT strings that are not bytes', { rawTxt: ['id=x'] }],
  ])('refuses %s', (_what, overrides) => {
    expect(readAdvertisement(service(overrides))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test('refuses anything that is not a service object', () => {
    for (const value of [null, undefined, 'x', 5]) expect(readAdvertisement(value)).toMatchObject({ ok: false });
  });

  test('makes the name safe to show', () => {
    const r = readAdvertisement(service({ name: 'evil\u001b[2J\u202ename' }));
    expect(r).toMatchObject({ ok: true, advert: { name: 'evil\ufffd[2J\ufffdname' } });
  });
});

describe('orderAddresses', () => {
  test('the IPv4 address the answer came from first, then other IPv4, then IPv6', () => {
    expect(orderAddresses(['fe80::1', '172.17.0.1', '10.77.0.11', 'FE80::2'], '10.77.0.11')).toEqual(['10.77.0.11', '172.17.0.1', 'fe80::1', 'fe80::2']);
  });

  test('the sender is kept last when it advertised no address, or other ones only', () => {
    expect(orderAddresses([], '10.77.0.12')).toEqual(['10.77.0.12']);
    expect(orderAddresses(['172.17.0.1'], '10.77.0.12')).toEqual(['172.17.0.1', '10.77.0.12']);
  });

  test('drops invalid and duplicate entries and caps the list', () => {
    expect(orderAddresses(['10.0.0.1', 'x', 7, null, '10.0.0.1', '999.0.0.1'], undefined)).toEqual(['10.0.0.1']);
    expect(orderAddresses('10.0.0.1', 'nonsense')).toEqual([]);
    const many = Array.from({ length: 100 }, (_, i) => `10.0.${i}.1`);
    expect(orderAddresses(many, undefined)).toHaveLength(MDNS_MAX_ADDRESSES_PER_PEER);
  });
});
