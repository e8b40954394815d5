// The user's home networks, kept in the ledger's home_networks table: each has a label and an SSID,
// a gateway MAC address, or both. Arriving on one of them is what starts delivery (see matchHome in
// fingerprint.ts for the rule).

import { InswarmError } from '../errors.js';
import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { HOME_LABEL_MAX_CHARS, HOME_NETWORKS_MAX } from '../limits.js';
import { matchHome, type NetworkFingerprint } from './fingerprint.js';
import { parseGatewayMac, parseSsid, printable } from './normalize.js';

export interface HomeNetwork {
  readonly id: number;
  readonly label: string;
  /** Wi-Fi name; null when the home is known by its gateway only. */
  readonly ssid: string | null;
  /** Gateway MAC address (lowercase, colon form); null when the home is known by its SSID only. */
  readonly gatewayMac: string | null;
  readonly addedAt: number;
}

export interface NewHomeNetwork {
  /** Defaults to the SSID, else "gateway MAC"; a taken default gets " 2", " 3"… */
  readonly label?: string;
  readonly ssid?: string | null;
  readonly gatewayMac?: string | null;
}

const COLUMNS = 'id, label, ssid, gateway_mac AS gatewayMac, added_at AS addedAt';

const SQL = {
  list: `SELECT ${COLUMNS} FROM home_networks ORDER BY id LIMIT ${HOME_NETWORKS_MAX}`,
  count: `SELECT count(*) AS n FROM home_networks`,
  byId: `SELECT ${COLUMNS} FROM home_networks WHERE id = @id`,
  byLabel: `SELECT ${COLUMNS} FROM home_networks WHERE label = @label`,
  same: `SELECT ${COLUMNS} FROM home_networks WHERE ssid IS @ssid AND gateway_mac IS @gatewayMac`,
  insert: `INSERT INTO home_networks (label, ssid, gateway_mac, added_at) VALUES (@label, @ssid, @gatewayMac, @addedAt)`,
  remove: `DELETE FROM home_networks WHERE id = @id`,
} as const;

export class HomeNetworkStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    this.q = ledger.prepare(SQL);
  }

  /**
   * Adds a home network after checking it: an SSID of 1–32 bytes, a unicast MAC address (any
   * common spelling, stored normalised), a label that is unique and not a number (so `remove`
   * by ID or label is never ambiguous). Refuses an exact duplicate (same SSID and MAC) with E_EXISTS.
   */
  add(home: NewHomeNetwork): HomeNetwork {
    const ssid = home.ssid === undefined || home.ssid === null ? null : parseSsid(home.ssid);
    const gatewayMac = home.gatewayMac === undefined || home.gatewayMac === null ? null : parseGatewayMac(home.gatewayMac);
    if (ssid === null && gatewayMac === null) throw new InswarmError('E_BAD_HOME', 'A home network needs an SSID, a gateway MAC address or both: give --ssid, --gateway-mac or --current.');
    const label = home.label === undefined ? undefined : checkLabel(home.label);
    return this.ledger.transaction(() => {
      const same = this.q.same.get({ ssid, gatewayMac }) as HomeNetwork | undefined;
      if (same !== undefined) throw new InswarmError('E_EXISTS', `This network is already home network ${same.id} ("${printable(same.label)}"): nothing to add.`);
      const count = (this.q.count.get() as { n: number }).n;
      if (count >= HOME_NETWORKS_MAX) throw new InswarmError('E_BAD_HOME', `There are already ${HOME_NETWORKS_MAX} home networks: remove one ("inswarm home remove") before adding another.`);
      let chosen: string;
      if (label !== undefined) {
        if (this.q.byLabel.get({ label }) !== undefined) throw new InswarmError('E_EXISTS', `A home network is already labelled "${printable(label)}": choose another label with --label.`);
        chosen = label;
      } else {
        chosen = this.freeLabel(ssid === null ? `gateway ${gatewayMac}` : /^\d+$/.test(ssid) ? `Wi-Fi ${ssid}` : ssid);
      }
      const addedAt = this.now();
      const info = this.ledger.guarded('adding a home network', () => this.q.insert.run({ label: chosen, ssid, gatewayMac, addedAt }));
      return { id: Number(info.lastInsertRowid), label: chosen, ssid, gatewayMac, addedAt };
    });
  }

  /** Removes the home network with this ID (digits) or label and returns it; E_NOT_FOUND if there is none. */
  remove(idOrLabel: string | number): HomeNetwork {
    return this.ledger.transaction(() => {
      const found = this.find(idOrLabel);
      if (found === undefined) throw new InswarmError('E_NOT_FOUND', `There is no home network "${printable(String(idOrLabel))}": see "inswarm home list" for IDs and labels.`);
      this.ledger.guarded('removing a home network', () => this.q.remove.run({ id: found.id }));
      return found;
    });
  }

  /** Every home network, oldest first (at most HOME_NETWORKS_MAX, which add() enforces). */
  list(): HomeNetwork[] {
    return this.ledger.guarded('reading home networks', () => this.q.list.all() as HomeNetwork[]);
  }

  /** The home network `fp` is on, or null (rule: matchHome). */
  isHome(fp: NetworkFingerprint): HomeNetwork | null {
    return matchHome(fp, this.list());
  }

  private find(idOrLabel: string | number): HomeNetwork | undefined {
    const text = String(idOrLabel);
    const read = (): HomeNetwork | undefined => (/^\d{1,15}$/.test(text) ? (this.q.byId.get({ id: Number(text) }) as HomeNetwork | undefined) : (this.q.byLabel.get({ label: text }) as HomeNetwork | undefined));
    return this.ledger.guarded('reading home networks', read);
  }

  /** `base`, or `base 2`, `base 3`… whichever label is free (a default label never blocks an add). */
  private freeLabel(base: string): string {
    for (let n = 1; ; n++) {
      const label = n === 1 ? base : `${base} ${n}`;
      if (this.q.byLabel.get({ label }) === undefined) return label;
    }
  }
}

/** A label typed by a person: 1–64 characters, no control characters, not only digits (those name IDs). */
function checkLabel(label: string): string {
  const chars = [...label].length;
  if (chars < 1 || chars > HOME_LABEL_MAX_CHARS || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new InswarmError('E_BAD_HOME', `A home network's label must be 1 to ${HOME_LABEL_MAX_CHARS} characters without control characters: choose another with --label.`);
  }
  if (/^\d+$/.test(label)) throw new InswarmError('E_BAD_HOME', `A label of only digits ("${label}") would be mistaken for an ID: choose another with --label.`);
  return label;
}
