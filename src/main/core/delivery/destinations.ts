// The origin's destinations, over the `destinations` table: cards added by `inswarm dest create` or
// imported from a link, and the plain recipients `inswarm dest set` made before cards existed.
//
// Storage: `endpoint` holds the card's endpoint as canonical JSON, or NULL for a destination that
// only has a recipient (no delivery endpoint yet: its blobs are restored by hand). `receiver_key`
// holds a copy of the receiver's device ID for receiver endpoints (NULL otherwise), written in the
// same statement as `endpoint`, so a receipt's signer can be matched to a destination in SQL; the
// endpoint JSON stays the source of truth. At most one row has is_default = 1 (a unique index).

import { InswarmError } from '../errors.js';
import type { DomainQueries, Ledger } from '../ledger/ledger.js';
import { DESTINATIONS_MAX } from '../limits.js';
import { validateCard, validateEndpoint, validateLabel, validateRecipient } from './card.js';
import type { DestinationCard, Endpoint } from './endpoint.js';

/** A card as stored: `endpoint` is null for a destination made from a bare recipient (`dest set`). */
export type StoredCard = Omit<DestinationCard, 'endpoint'> & { readonly endpoint: Endpoint | null };

export interface Destination {
  readonly id: number;
  readonly card: StoredCard;
  readonly isDefault: boolean;
  readonly createdAt: number;
}

const COLUMNS = 'id, label, recipient, endpoint, is_default AS isDefault, created_at AS createdAt';
const SQL = {
  byId: `SELECT ${COLUMNS} FROM destinations WHERE id = @id`,
  byLabel: `SELECT ${COLUMNS} FROM destinations WHERE label = @label`,
  list: `SELECT ${COLUMNS} FROM destinations ORDER BY id LIMIT @limit`,
  getDefault: `SELECT ${COLUMNS} FROM destinations WHERE is_default = 1`,
  count: `SELECT count(*) AS n FROM destinations`,
  insert: `INSERT INTO destinations (label, recipient, endpoint, receiver_key, is_default, created_at)
    VALUES (@label, @recipient, @endpoint, @receiverKey, @isDefault, @createdAt)`,
  clearDefault: `UPDATE destinations SET is_default = 0 WHERE is_default = 1`,
  makeDefault: `UPDATE destinations SET is_default = 1 WHERE id = @id`,
  // Outbox rows whose blob still waits for delivery, and any row at all (the foreign key's view).
  pendingBlobs: `SELECT count(*) AS n FROM outbox WHERE destination_id = @id AND state IN ('sealed', 'placing', 'placed')`,
  references: `SELECT (SELECT count(*) FROM outbox WHERE destination_id = @id) + (SELECT count(*) FROM deliveries WHERE destination_id = @id) AS n`,
  remove: `DELETE FROM destinations WHERE id = @id`,
} as const;

interface Row {
  id: number;
  label: string;
  recipient: string;
  endpoint: string | null;
  isDefault: number;
  createdAt: number;
}

export class DestinationStore {
  private readonly q: DomainQueries<keyof typeof SQL>;

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    this.q = ledger.prepare(SQL);
  }

  /**
   * Stores a card (validated here). The first destination ever added becomes the default, as does
   * any added with `makeDefault`. A label already in use is refused with E_EXISTS.
   */
  add(card: DestinationCard, options: { makeDefault?: boolean } = {}): Destination {
    const valid = validateCard(card);
    return this.insert(valid, options.makeDefault ?? false);
  }

  /**
   * What `inswarm dest set RECIPIENT` does: makes a destination with only a recipient the default.
   * The same label and recipient again just makes it the default; a label in use for another
   * recipient is refused (E_EXISTS).
   */
  setRecipient(recipient: string, label: string): Destination {
    const card: StoredCard = { label: validateLabel(label), recipient: validateRecipient(recipient), endpoint: null };
    return this.ledger.transaction(() => {
      const existing = this.find(card.label);
      if (existing === undefined) return this.insert(card, true);
      if (existing.card.recipient !== card.recipient) throw labelTaken(card.label);
      this.setDefault(card.label);
      return this.byLabel(card.label);
    });
  }

  /** One destination by its row id (as the outbox refers to it); E_DEST_UNKNOWN when there is none. */
  get(id: number): Destination {
    const row = this.ledger.guarded('reading destinations', () => this.q.byId.get({ id })) as Row | undefined;
    if (row === undefined) throw new InswarmError('E_DEST_UNKNOWN', `There is no destination number ${id} any more: list them with "inswarm dest list".`);
    return fromRow(row);
  }

  /** One destination by label; E_DEST_UNKNOWN, naming the command that lists them, when there is none. */
  byLabel(label: string): Destination {
    const found = this.find(label);
    if (found === undefined) throw unknownLabel(label);
    return found;
  }

  /** One destination by label, or undefined. */
  find(label: string): Destination | undefined {
    const row = this.ledger.guarded('reading destinations', () => this.q.byLabel.get({ label })) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every destination, oldest first (at most DESTINATIONS_MAX). */
  list(): Destination[] {
    const rows = this.ledger.guarded('listing destinations', () => this.q.list.all({ limit: DESTINATIONS_MAX })) as Row[];
    return rows.map(fromRow);
  }

  /** Where new blobs are sealed to when no destination is named; undefined until one is added. */
  getDefault(): Destination | undefined {
    const row = this.ledger.guarded('reading destinations', () => this.q.getDefault.get()) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Makes the labelled destination the default (E_DEST_UNKNOWN when there is none). */
  setDefault(label: string): Destination {
    return this.ledger.transaction(() => {
      const found = this.byLabel(label);
      this.q.clearDefault.run();
      this.q.makeDefault.run({ id: found.id });
      return { ...found, isDefault: true };
    });
  }

  /**
   * Forgets a destination. Refused while blobs in the outbox are sealed to it (they would lose
   * where they go), and while delivered blobs keep it as their history (the ledger's foreign keys).
   * Works on a row whose stored endpoint is damaged. Removing the default leaves no default.
   */
  remove(label: string): { id: number; label: string; wasDefault: boolean } {
    return this.ledger.transaction(() => {
      const row = this.q.byLabel.get({ label }) as Row | undefined;
      if (row === undefined) throw unknownLabel(label);
      const pending = (this.q.pendingBlobs.get({ id: row.id }) as { n: number }).n;
      if (pending > 0) {
        throw new InswarmError(
          'E_EXISTS',
          `Destination ${JSON.stringify(label)} still has ${pending} blob${pending === 1 ? '' : 's'} in the outbox waiting for delivery: keep it until they are delivered.`,
        );
      }
      const references = (this.q.references.get({ id: row.id }) as { n: number }).n;
      if (references > 0) {
        throw new InswarmError(
          'E_EXISTS',
          `Destination ${JSON.stringify(label)} is the recorded destination of ${references} earlier blob${references === 1 ? '' : 's'}, so it is kept: make another one the default with "inswarm dest default LABEL" instead.`,
        );
      }
      this.q.remove.run({ id: row.id });
      return { id: row.id, label: row.label, wasDefault: row.isDefault === 1 };
    });
  }

  private insert(card: StoredCard, makeDefault: boolean): Destination {
    return this.ledger.transaction(() => {
      if (this.find(card.label) !== undefined) throw labelTaken(card.label);
      const count = (this.q.count.get() as { n: number }).n;
      if (count >= DESTINATIONS_MAX) {
        throw new InswarmError('E_EXISTS', `This device already has ${count} destinations, the most it keeps: remove one with "inswarm dest remove LABEL" first.`);
      }
      const isDefault = makeDefault || count === 0;
      if (isDefault) this.q.clearDefault.run();
      const createdAt = this.now();
      const info = this.q.insert.run({
        label: card.label,
        recipient: card.recipient,
        endpoint: card.endpoint === null ? null : JSON.stringify(card.endpoint),
        receiverKey: card.endpoint?.kind === 'receiver' ? card.endpoint.receiverId : null,
        isDefault: isDefault ? 1 : 0,
        createdAt,
      });
      return { id: Number(info.lastInsertRowid), card, isDefault, createdAt };
    });
  }
}

function unknownLabel(label: string): InswarmError {
  return new InswarmError('E_DEST_UNKNOWN', `There is no destination labelled ${JSON.stringify(label)}: list them with "inswarm dest list".`);
}

function labelTaken(label: string): InswarmError {
  return new InswarmError(
    'E_EXISTS',
    `A destination labelled ${JSON.stringify(label)} already exists: choose another label (--label NEW), or remove the old one with "inswarm dest remove ${label}".`,
  );
}

/** A row as a destination; the endpoint JSON is checked again, since the ledger file may be old or edited by hand. */
function fromRow(row: Row): Destination {
  let endpoint: Endpoint | null = null;
  if (row.endpoint !== null) {
    try {
      endpoint = validateEndpoint(JSON.parse(row.endpoint));
    } catch (err) {
      throw new InswarmError(
        'E_LEDGER',
        `The stored endpoint of destination ${JSON.stringify(row.label)} is damaged (${(err as Error).message.replace(/\.$/, '')}); remove it with "inswarm dest remove" and import its card again.`,
        { cause: err },
      );
    }
  }
  return { id: row.id, card: { label: row.label, recipient: row.recipient, endpoint }, isDefault: row.isDefault === 1, createdAt: row.createdAt };
}
