// HomeNetworkStore on a real ledger (SQLite in a temp folder): what it stores, what it refuses,
// removal by ID or label, and isHome with the matchHome rule.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HomeNetworkStore } from '../../../../src/main/core/homenet/home-networks.js';
import { Ledger } from '../../../../src/main/core/ledger/ledger.js';
import { HOME_NETWORKS_MAX } from '../../../../src/main/core/limits.js';
import { tempDir } from '../../../helpers/tmp.js';

let dir: string;
let ledger: Ledger;
let store: HomeNetworkStore;
let clock = 1_700_000_000_000;

beforeEach(async () => {
  dir = await tempDir('homenet');
  ledger = Ledger.open(join(dir, 'ledger.sqlite'));
  store = new HomeNetworkStore(ledger, () => clock++);
});
afterEach(() => ledger.close());

const venue = { ssid: 'Venue', gatewayIp: '10.0.0.1', gatewayMac: '66:55:44:33:22:10', iface: 'wlan0' };

describe('HomeNetworkStore', () => {
  it('adds, normalises the MAC, lists oldest first, and survives reopening the ledger', () => {
    const a = store.add({ label: 'Home', ssid: 'HomeNet', gatewayMac: '0:1A:2b:3:4:5' });
    const b = store.add({ gatewayMac: '02-77-2C-00-00-01' });
    const c = store.add({ ssid: 'Café Lumière' });
    expect(a).toMatchObject({ label: 'Home', ssid: 'HomeNet', gatewayMac: '00:1a:2b:03:04:05' });
    expect(b).toMatchObject({ label: 'gateway 02:77:2c:00:00:01', ssid: null, gatewayMac: '02:77:2c:00:00:01' });
    expect(c).toMatchObject({ label: 'Café Lumière', ssid: 'Café Lumière', gatewayMac: null });
    ledger.close();
    ledger = Ledger.open(join(dir, 'ledger.sqlite'));
    expect(new HomeNetworkStore(ledger).list()).toEqual([a, b, c]);
  });

  it('refuses malformed input with E_BAD_HOME and stores nothing', () => {
    const bad: Array<Parameters<HomeNetworkStore['add']>[0]> = [
      {},
      { ssid: null, gatewayMac: null },
      { ssid: '' },
      { ssid: 'x'.repeat(33) },
      { gatewayMac: 'ff:ff:ff:ff:ff:ff' },
      { gatewayMac: '00:00:00:00:00:00' },
      { gatewayMac: 'router' },
      { ssid: 'ok', label: '' },
      { ssid: 'ok', label: '42' }, // would read as an ID
      { ssid: 'ok', label: 'l'.repeat(65) },
      { ssid: 'ok', label: 'a\nb' },
    ];
    for (const home of bad) expect(() => store.add(home), JSON.stringify(home)).toThrow(expect.objectContaining({ code: 'E_BAD_HOME' }));
    expect(store.list()).toEqual([]);
  });

  it('refuses an exact duplicate and a taken label with E_EXISTS, but not a partial overlap', () => {
    store.add({ label: 'Home', ssid: 'HomeNet', gatewayMac: '0a:1b:2c:3d:4e:5f' });
    expect(() => store.add({ ssid: 'HomeNet', gatewayMac: '0A-1B-2C-3D-4E-5F' })).toThrow(expect.objectContaining({ code: 'E_EXISTS' }));
    expect(() => store.add({ label: 'Home', ssid: 'Other' })).toThrow(expect.objectContaining({ code: 'E_EXISTS' }));
    store.add({ ssid: 'HomeNet' }); // same SSID, no MAC: a different row
    store.add({ ssid: 'HomeNet', gatewayMac: '0a:1b:2c:3d:4e:60' }); // new router
    expect(store.list().map((h) => h.label)).toEqual(['Home', 'HomeNet', 'HomeNet 2']);
  });

  it('gives an all-digit SSID a label that cannot be taken for an ID', () => {
    expect(store.add({ ssid: '12345' }).label).toBe('Wi-Fi 12345');
  });

  it(`keeps at most ${HOME_NETWORKS_MAX}`, () => {
    for (let i = 0; i < HOME_NETWORKS_MAX; i++) store.add({ ssid: `net ${i}` });
    expect(() => store.add({ ssid: 'one more' })).toThrow(expect.objectContaining({ code: 'E_BAD_HOME' }));
    expect(store.list()).toHaveLength(HOME_NETWORKS_MAX);
  });

  it('removes by ID or by label, and says E_NOT_FOUND otherwise', () => {
    const a = store.add({ label: 'Home', ssid: 'HomeNet' });
    const b = store.add({ label: 'Office', gatewayMac: '0a:1b:2c:3d:4e:5f' });
    expect(store.remove(String(a.id))).toEqual(a);
    expect(store.remove('Office')).toEqual(b);
    expect(store.list()).toEqual([]);
    expect(() => store.remove('Office')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    expect(() => store.remove('999')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
  });

  it('isHome: by gateway MAC, by SSID, or null', () => {
    const wired = store.add({ label: 'Home', gatewayMac: '0a:1b:2c:3d:4e:5f' });
    const wifi = store.add({ label: 'Parents', ssid: 'FRITZ!Box 7590' });
    expect(store.isHome(venue)).toBeNull();
    expect(store.isHome({ ...venue, gatewayMac: '0a:1b:2c:3d:4e:5f' })).toEqual(wired);
    expect(store.isHome({ ...venue, ssid: 'FRITZ!Box 7590' })).toEqual(wifi);
    store.remove('Home');
    expect(store.isHome({ ...venue, gatewayMac: '0a:1b:2c:3d:4e:5f' })).toBeNull();
  });
});
