import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isInswarmError } from '../../../../src/main/core/errors.js';
import { formatDeviceId } from '../../../../src/main/core/identity/device-id.js';
import { formatPeerAddress, ManualPeers, parsePeerAddress, type ManualPeer } from '../../../../src/main/core/discovery/manual-peers.js';
import { MANUAL_PEERS_MAX } from '../../../../src/main/core/limits.js';

const ID = formatDeviceId(randomBytes(32));
const OTHER_ID = formatDeviceId(randomBytes(32));

function refused(text: string, code = 'E_BAD_PEER_ADDRESS'): string {
  try {
    parsePeerAddress(text);
  } catch (err) {
    expect(isInswarmError(err), `${text} should fail with an InswarmError`).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

describe('parsePeerAddress', () => {
  test.each([
    ['192.168.1.20:22000', { host: '192.168.1.20', port: 22000, hostKind: 'ipv4', deviceId: null }],
    ['  10.77.0.11:1  ', { host: '10.77.0.11', port: 1, hostKind: 'ipv4', deviceId: null }],
    ['127.0.0.1:65535', { host: '127.0.0.1', port: 65535, hostKind: 'ipv4', deviceId: null }],
    ['[2001:DB8::1]:443', { host: '2001:db8::1', port: 443, hostKind: 'ipv6', deviceId: null }],
    ['[fe80::1%wlan0]:22000', { host: 'fe80::1%wlan0', port: 22000, hostKind: 'ipv6', deviceId: null }],
    ['[::1]:8080', { host: '::1', port: 8080, hostKind: 'ipv6', deviceId: null }],
    ['Alice-Laptop.local:22000', { host: 'alice-laptop.local', port: 22000, hostKind: 'name', deviceId: null }],
    ['nas.example.org.:22000', { host: 'nas.example.org', port: 22000, hostKind: 'name', deviceId: null }],
    ['localhost:3000', { host: 'localhost', port: 3000, hostKind: 'name', deviceId: null }],
    ['bücher.example:22000', { host: 'xn--bcher-kva.example', port: 22000, hostKind: 'name', deviceId: null }],
  ])('reads %s', (text, expected) => {
    expect(parsePeerAddress(text)).toEqual(expected);
  });

  test('reads ID@HOST:PORT, accepting the ID as a person types it and returning it canonical', () => {
    expect(parsePeerAddress(`${ID}@192.168.1.20:22000`)).toEqual({ host: '192.168.1.20', port: 22000, hostKind: 'ipv4', deviceId: ID });
    const typed = ID.toLowerCase().replace(/-/g, ' ');
    expect(parsePeerAddress(`${typed} @ [fe80::1]:9`).deviceId).toBe(ID);
  });

  test('a mistyped device ID is reported as such, not as a bad address', () => {
    const typo = (ID[0] === 'A' ? 'B' : 'A') + ID.slice(1);
    expect(refused(`${typo}@10.0.0.1:1`, 'E_BAD_DEVICE_ID')).toMatch(/typo/);
    refused(`NOTANID@10.0.0.1:1`, 'E_BAD_DEVICE_ID');
  });

  test.each([
    ['', /empty/],
    ['   ', /empty/],
    ['192.168.1.20', /no port/],
    ['nas.local', /no port/],
    ['192.168.1.20:', /not a port/],
    [':22000', /no host/],
    ['192.168.1.20:0', /out of range/],
    ['192.168.1.20:65536', /out of range/],
    ['192.168.1.20:99999', /out of range/],
    ['192.168.1.20:123456', /not a port/],
    ['192.168.1.20:-1', /not a port/],
    ['192.168.1.20:+80', /not a port/],
    ['192.168.1.20:80.0', /not a port/],
    ['192.168.1.20:http', /not a port/],
    ['192.168.1.20: 80', /not a port/],
    ['256.1.1.1:80', /not a valid IPv4/],
    ['1.2.3:80', /not a valid IPv4/],
    ['010.0.0.1:80', /not a valid IPv4/],
    ['0.0.0.0:80', /unspecified, broadcast or multicast/],
    ['255.255.255.255:80', /unspecified, broadcast or multicast/],
    ['224.0.0.251:5353', /unspecified, broadcast or multicast/],
    ['fe80::1', /IPv6 address without a port.*\[fe80::1\]:PORT/],
    ['fe80::1:22000', /more than one ":"/],
    ['[fe80::1:22000', /without closing/],
    ['[fe80::1]', /no port/],
    ['[fe80::1]22000', /other than ":PORT"/],
    ['[192.168.1.20]:80', /only for IPv6/],
    ['[::]:80', /unspecified or multicast/],
    ['[ff02::fb]:5353', /unspecified or multicast/],
    ['[fe80::1%bad zone]:1', /not an interface name/],
    ['-bad.example:1', /not a valid host name/],
    ['bad-.example:1', /not a valid host name/],
    ['a..b:1', /not a valid host name/],
    ['under_score.example:1', /not a valid host name/],
    ['has space:1', /not a valid host name/],
    ['http://nas.local:80', /more than one ":"/],
    [`${'a'.repeat(64)}.example:1`, /not a valid host name/],
    [`${'abcdefghi.'.repeat(26)}com:1`, /not a valid host name/],
    ['host.123:1', /neither a host name nor an IPv4/],
    ['a@b@c:1', /more than one "@"/],
    ['x'.repeat(600), /characters long/],
  ])('refuses %j with a sentence that says how to write it', (text, message) => {
    expect(refused(text)).toMatch(message);
  });

  test('refuses non-text input with an InswarmError, not a TypeError', () => {
    for (const value of [undefined, null, 22000, {}]) {
      expect(() => parsePeerAddress(value as unknown as string)).toThrow(expect.objectContaining({ code: 'E_BAD_PEER_ADDRESS' }));
    }
  });

  test('any text is either accepted or refused with an InswarmError (never a crash)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[\w.:@\[\]%-]{0,40}$/)), (text) => {
        try {
          parsePeerAddress(text);
        } catch (err) {
          expect(isInswarmError(err)).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  test('formatPeerAddress writes what parsePeerAddress reads back', () => {
    const hosts = fc.oneof(
      fc.ipV4().filter((a) => !/^(0\.0\.0\.0|255\.255\.255\.255|22[4-9]\..*|23\d\..*)$/.test(a)),
      fc.ipV6().filter((a) => a !== '::' && !/^ff/i.test(a) && !a.includes('.')),
      fc.domain(),
    );
    fc.assert(
      fc.property(hosts, fc.integer({ min: 1, max: 65535 }), fc.boolean(), (host, port, withId) => {
        const first = parsePeerAddress(formatPeerAddress({ host, port, deviceId: withId ? ID : null }));
        expect(parsePeerAddress(formatPeerAddress(first))).toEqual(first);
        expect(first.port).toBe(port);
        expect(first.deviceId).toBe(withId ? ID : null);
      }),
      { numRuns: 1_000 },
    );
    expect(formatPeerAddress({ host: 'fe80::1%wlan0', port: 22000 })).toBe('[fe80::1%wlan0]:22000');
    expect(formatPeerAddress({ host: '10.0.0.1', port: 1, deviceId: ID })).toBe(`${ID}@10.0.0.1:1`);
  });
});

/** An in-memory stand-in for the caller's persistence (a file or a ledger row), keeping a JSON copy as the caller would. */
function memoryStorage(initial?: unknown) {
  const state = { stored: initial === undefined ? undefined : JSON.parse(JSON.stringify(initial)), saves: 0, failNext: false };
  return {
    state,
    storage: {
      load: () => state.stored,
      save: async (peers: readonly ManualPeer[]) => {
        await new Promise((r) => setTimeout(r, 1));
        if (state.failNext) {
          state.failNext = false;
          throw new Error('disk full');
        }
        state.stored = JSON.parse(JSON.stringify(peers));
        state.saves++;
      },
    },
  };
}

describe('ManualPeers', () => {
  test('adds, keeps one entry per address, saves every change and reloads it', async () => {
    const { state, storage } = memoryStorage();
    const list = new ManualPeers({ storage, now: () => 1000 });
    expect(await list.load()).toEqual({ loaded: 0, skipped: 0 });
    expect(await list.add('10.0.0.5:22000')).toEqual({ peer: { host: '10.0.0.5', port: 22000, deviceId: null, addedAt: 1000 }, added: true });
    expect((await list.add(' 10.0.0.5:22000 ')).added).toBe(false);
    await list.add('[FE80::2]:1');
    expect(list.list().map((p) => formatPeerAddress(p))).toEqual(['10.0.0.5:22000', '[fe80::2]:1']);
    expect(state.saves).toBe(2);

    const again = new ManualPeers({ storage });
    expect(await again.load()).toEqual({ loaded: 2, skipped: 0 });
    expect(again.list()).toEqual(list.list());

    expect(await again.remove('10.0.0.5:22000')).toBe(true);
    expect(await again.remove('10.0.0.5:22000')).toBe(false);
    expect(state.stored).toEqual([{ host: 'fe80::2', port: 1, deviceId: null, addedAt: 1000 }]);
  });

  test('an ID given later pins an address-only entry; a different ID for a pinned entry is refused', async () => {
    const list = new ManualPeers({ storage: memoryStorage().storage });
    await list.add('nas.local:22000');
    const { peer } = await list.add(`${ID}@NAS.local:22000`);
    expect(peer.deviceId).toBe(ID);
    await expect(list.add(`${OTHER_ID}@nas.local:22000`)).rejects.toMatchObject({ code: 'E_PEER_MISMATCH', message: expect.stringMatching(/remove it first/) });
    expect(list.list()).toHaveLength(1);
    expect(list.list()[0]!.deviceId).toBe(ID);
  });

  test('trust on first use: the first link pins the ID, a later different one is a mismatch', async () => {
    const { state, storage } = memoryStorage();
    const list = new ManualPeers({ storage });
    await list.add('10.0.0.7:22000');
    expect(await list.learnDeviceId('10.0.0.7', 22000, ID)).toBe('pinned');
    expect(state.stored[0].deviceId).toBe(ID);
    expect(await list.learnDeviceId('10.0.0.7', 22000, ID.toLowerCase())).toBe('match');
    expect(await list.learnDeviceId('10.0.0.7', 22000, OTHER_ID)).toBe('mismatch');
    expect(list.list()[0]!.deviceId).toBe(ID);
    expect(await list.learnDeviceId('10.0.0.8', 22000, ID)).toBe('unknown-address');
    await list.add('[FE80::9]:5');
    expect(await list.learnDeviceId('FE80::9', 5, OTHER_ID)).toBe('pinned');
  });

  test('a failed save leaves the list as it was', async () => {
    const { state, storage } = memoryStorage();
    const list = new ManualPeers({ storage });
    await list.add('10.0.0.1:1');
    state.failNext = true;
    await expect(list.add('10.0.0.2:2')).rejects.toThrow('disk full');
    expect(list.list().map((p) => p.host)).toEqual(['10.0.0.1']);
    await list.add('10.0.0.3:3');
    expect(state.stored.map((p: ManualPeer) => p.host)).toEqual(['10.0.0.1', '10.0.0.3']);
  });

  test('concurrent changes run one at a time, so no save is lost', async () => {
    const { state, storage } = memoryStorage();
    const list = new ManualPeers({ storage });
    await Promise.all(Array.from({ length: 20 }, (_, i) => list.add(`10.0.1.${i + 1}:22000`)));
    expect(state.stored).toHaveLength(20);
    expect(list.list()).toHaveLength(20);
  });

  test('a damaged stored list keeps its good entries and counts the rest', async () => {
    const stored = [
      { host: '10.0.0.1', port: 1, deviceId: null, addedAt: 5 },
      { host: '10.0.0.1', port: 1, deviceId: null, addedAt: 6 }, // duplicate
      { host: 'bad host', port: 1, deviceId: null, addedAt: 5 },
      { host: '10.0.0.2', port: 70000, deviceId: null, addedAt: 5 },
      { host: '10.0.0.3', port: 3, deviceId: 'not an id', addedAt: 5 },
      { host: '10.0.0.4', port: 4, deviceId: ID.toLowerCase(), addedAt: 5 },
      { host: '10.0.0.5', port: 5 },
      'nonsense',
      null,
    ];
    const list = new ManualPeers({ storage: memoryStorage(stored).storage });
    expect(await list.load()).toEqual({ loaded: 2, skipped: 7 });
    expect(list.list()).toEqual([
      { host: '10.0.0.1', port: 1, deviceId: null, addedAt: 5 },
      { host: '10.0.0.4', port: 4, deviceId: ID, addedAt: 5 },
    ]);
    const notAList = new ManualPeers({ storage: memoryStorage({ peers: [] }).storage });
    expect(await notAList.load()).toEqual({ loaded: 0, skipped: 1 });
  });

  test(`holds at most ${MANUAL_PEERS_MAX} peers`, async () => {
    const list = new ManualPeers();
    for (let i = 0; i < MANUAL_PEERS_MAX; i++) await list.add(`10.1.${i >> 8}.${i & 255}:1`);
    await expect(list.add('10.2.0.0:1')).rejects.toMatchObject({ code: 'E_PEER_LIST_FULL' });
    expect((await list.add('10.1.0.0:1')).added).toBe(false);
  });
});
