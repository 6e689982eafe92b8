import type { Database, Statement, Transaction } from 'better-sqlite3';
import { removePointers } from '../json-pointer';
import type {
  DeletionRequestRecord,
  DeliveryCursor,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatsRow,
  DeliveryRecord,
  IdentifierRecord,
  IdentifyItem,
  IdentityPlan,
  IntakeItem,
  IntakeRepository,
  IntakeResult,
  IntakeRules,
  ProfileOwner,
  ProfileRecord,
  SignalRecord,
} from '../intake.port';
import { PENDING_DELIVERY_STATUSES } from '../intake.port';
import type { IntakeWriterThread } from './intake-writer';

interface SignalRow {
  id: string;
  brand: string;
  metric_id: string;
  metric_key: string;
  metric_version: number;
  profile_id: string | null;
  occurred_at: string;
  received_at: string;
  properties: string;
  value: number | null;
  value_currency: string | null;
  idempotency_key: string;
}

interface ProfileRow {
  id: string;
  brand: string;
  attributes: string;
  merged_into: string | null;
  merged_profile_ids: string;
  created_at: string;
  updated_at: string;
}

interface DeliveryRow {
  id: string;
  brand: string;
  signal_id: string;
  connection_id: string;
  environment: string;
  metric_id: string;
  profile_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  first_attempt_at: string | null;
  delivered_at: string | null;
  failure: string | null;
  payload: string | null;
  created_at: string;
  updated_at: string;
}

const date = (value: string | null) => (value === null ? null : new Date(value));

const toSignal = (row: SignalRow): SignalRecord => ({
  id: row.id,
  brand: row.brand,
  metricId: row.metric_id,
  metricKey: row.metric_key,
  metricVersion: row.metric_version,
  profileId: row.profile_id,
  occurredAt: new Date(row.occurred_at),
  receivedAt: new Date(row.received_at),
  properties: JSON.parse(row.properties) as Record<string, unknown>,
  value: row.value,
  valueCurrency: row.value_currency,
  idempotencyKey: row.idempotency_key,
});

export const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  brand: row.brand,
  signalId: row.signal_id,
  connectionId: row.connection_id,
  environment: row.environment as DeliveryRecord['environment'],
  metricId: row.metric_id,
  profileId: row.profile_id,
  status: row.status as DeliveryRecord['status'],
  attempts: row.attempts,
  nextAttemptAt: date(row.next_attempt_at),
  lastAttemptAt: date(row.last_attempt_at),
  firstAttemptAt: date(row.first_attempt_at),
  deliveredAt: date(row.delivered_at),
  failure: row.failure ? (JSON.parse(row.failure) as DeliveryRecord['failure']) : null,
  payload: row.payload ? (JSON.parse(row.payload) as Record<string, unknown>) : null,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

/** An item of a batch failed where no savepoint could undo just that item. */
class ItemFailed extends Error {}

/**
 * The identity graph, signals and deliveries in SQLite. better-sqlite3 is
 * synchronous, so a whole batch (identity rules included) runs inside one
 * IMMEDIATE transaction: no other writer can slip in between the read of the
 * graph and the write that depends on it.
 */
export class EmbeddedIntakeRepository implements IntakeRepository {
  private readonly statements: Record<string, Statement>;
  // Made once: each `transaction()` call prepares its BEGIN/COMMIT/SAVEPOINT statements.
  private readonly recordOne: (item: IntakeItem, rules: IntakeRules) => IntakeResult;
  private readonly recordBatch: Transaction<(batch: readonly IntakeItem[], rules: IntakeRules) => IntakeResult[]>;
  private readonly recordBatchWhole: Transaction<(batch: readonly IntakeItem[], rules: IntakeRules) => IntakeResult[]>;

  constructor(
    private readonly db: Database,
    /** Where recordSignals runs when the rules say where to load them; null: here. */
    private readonly writer: IntakeWriterThread | null = null,
  ) {
    this.recordOne = db.transaction((item: IntakeItem, rules: IntakeRules) => this.recordOneItem(item, rules));
    this.recordBatch = db.transaction((batch: readonly IntakeItem[], rules: IntakeRules) => this.recordBatchItems(batch, rules));
    this.recordBatchWhole = db.transaction((batch: readonly IntakeItem[], rules: IntakeRules) =>
      batch.map((item) => {
        try {
          return this.recordOneItem(item, rules);
        } catch (error) {
          throw new ItemFailed('an item of the batch failed', { cause: error });
        }
      }),
    );
    this.statements = {
      signalByKey: db.prepare('SELECT * FROM signals WHERE brand = ? AND idempotency_key = ?'),
      ownerOf: db.prepare('SELECT profile_id FROM profile_identifiers WHERE brand = ? AND kind = ? AND value = ?'),
      // The owner of one identifier with its age and every identifier it holds, in one query.
      ownerWithIdentifiers: db.prepare(
        `SELECT p.id, p.created_at, all_ids.kind, all_ids.value
         FROM profile_identifiers owned
         JOIN profiles p ON p.id = owned.profile_id
         JOIN profile_identifiers all_ids ON all_ids.profile_id = owned.profile_id
         WHERE owned.brand = ? AND owned.kind = ? AND owned.value = ?`,
      ),
      identifiersOf: db.prepare('SELECT kind, value FROM profile_identifiers WHERE profile_id = ? ORDER BY kind, value'),
      profile: db.prepare('SELECT * FROM profiles WHERE brand = ? AND id = ?'),
      insertProfile: db.prepare("INSERT INTO profiles (id, brand, attributes, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)"),
      linkIdentifier: db.prepare(
        'INSERT INTO profile_identifiers (brand, kind, value, profile_id) VALUES (?, ?, ?, ?) ON CONFLICT (brand, kind, value) DO UPDATE SET profile_id = excluded.profile_id',
      ),
      touchProfile: db.prepare('UPDATE profiles SET updated_at = ? WHERE id = ?'),
      // Positional parameters: binding by name costs a lookup per column, per signal.
      insertSignal: db.prepare(
        `INSERT INTO signals (id, brand, metric_id, metric_key, metric_version, profile_id, occurred_at, received_at, properties, value, value_currency, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertDelivery: db.prepare(
        `INSERT INTO deliveries (id, brand, signal_id, connection_id, environment, metric_id, profile_id, status, payload, created_at, updated_at)
         VALUES (@id, @brand, @signalId, @connectionId, @environment, @metricId, @profileId, @status, @payload, @now, @now)`,
      ),
    };
  }

  async recordSignals(items: readonly IntakeItem[], rules: IntakeRules): Promise<IntakeResult[]> {
    if (this.writer && rules.module) return this.writer.record(items, rules.module);
    return this.recordSignalsNow(items, rules);
  }

  /**
   * recordSignals on this thread, in one IMMEDIATE transaction. Items almost
   * never fail, so the batch first runs without a savepoint per item (a
   * savepoint costs about as much as a fifth of the signal's own insert);
   * if one does fail, that attempt rolls back whole and the batch runs again
   * with a savepoint per item, so only the failing items are left out.
   */
  recordSignalsNow(items: readonly IntakeItem[], rules: IntakeRules): IntakeResult[] {
    try {
      return this.recordBatchWhole.immediate(items, rules);
    } catch (error) {
      if (!(error instanceof ItemFailed)) throw error;
      return this.recordBatch.immediate(items, rules);
    }
  }

  /** One item; on the savepoint path (recordBatchItems) each runs in a savepoint of its own, so a failing item rolls back alone. */
  private recordOneItem(item: IntakeItem, rules: IntakeRules): IntakeResult {
    const existing = this.statements.signalByKey!.get(item.signal.brand, item.signal.idempotencyKey) as SignalRow | undefined;
    if (existing) return { ok: true, signal: toSignal(existing), duplicate: true };
    const now = item.signal.receivedAt.toISOString();
    const profileId = this.resolve(item.signal.brand, item.identifiers, item.newProfileId, now, rules);
    const draft = item.signal;
    this.statements.insertSignal!.run(draft.id, draft.brand, draft.metricId, draft.metricKey, draft.metricVersion, profileId, draft.occurredAt.toISOString(), now, item.propertiesJson, draft.value, draft.valueCurrency, draft.idempotencyKey);
    const signal: SignalRecord = { ...draft, profileId };
    if (item.deliveryTargets.length > 0) {
      const profile = this.loadProfile(item.signal.brand, profileId)!;
      for (const delivery of rules.deliveriesFor(signal, profile, item)) {
        this.statements.insertDelivery!.run({ ...delivery, brand: signal.brand, signalId: signal.id, metricId: signal.metricId, profileId, payload: JSON.stringify(delivery.payload), now });
      }
    }
    return { ok: true, signal, duplicate: false };
  }

  private recordBatchItems(batch: readonly IntakeItem[], rules: IntakeRules): IntakeResult[] {
    return batch.map((item): IntakeResult => {
      try {
        return this.recordOne(item, rules);
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    });
  }

  async identify(item: IdentifyItem, rules: Pick<IntakeRules, 'planIdentity'>): Promise<ProfileRecord> {
    const run = this.db.transaction(() => {
      const now = item.now.toISOString();
      const { profileId, changed } = this.resolveAndReport(item.brand, item.identifiers, item.newProfileId, now, rules);
      if (item.attributes) {
        const row = this.statements.profile!.get(item.brand, profileId) as ProfileRow;
        const attributes = { ...(JSON.parse(row.attributes) as Record<string, unknown>) };
        for (const [key, value] of Object.entries(item.attributes)) {
          if (value === null) delete attributes[key];
          else attributes[key] = value;
        }
        this.db.prepare('UPDATE profiles SET attributes = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(attributes), now, profileId);
      }
      const profile = this.loadProfile(item.brand, profileId)!;
      for (const job of item.profileImports?.(profile, changed || item.attributes !== null) ?? []) {
        this.db
          .prepare('INSERT INTO profile_imports (id, brand, connection_id, environment, profile_id, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(job.id, item.brand, job.connectionId, job.environment, profileId, JSON.stringify(job.payload), now, now);
      }
      return profile;
    });
    return run.immediate();
  }

  /** Reads the owners of the identifiers, asks the rules, and applies the plan. Returns the signal's profile. */
  private resolve(brand: string, identifiers: readonly IdentifierRecord[], newProfileId: string, now: string, rules: Pick<IntakeRules, 'planIdentity'>): string {
    return this.resolveAndReport(brand, identifiers, newProfileId, now, rules).profileId;
  }

  /** As `resolve`, also saying whether the graph changed (a new profile, new links, a merge). */
  private resolveAndReport(brand: string, identifiers: readonly IdentifierRecord[], newProfileId: string, now: string, rules: Pick<IntakeRules, 'planIdentity'>): { profileId: string; changed: boolean } {
    const known = this.knownVisitor(brand, identifiers);
    if (known) return { profileId: known, changed: false };
    const byId = new Map<string, { id: string; createdAt: Date; identifiers: IdentifierRecord[] }>();
    for (const { kind, value } of identifiers) {
      const rows = this.statements.ownerWithIdentifiers!.all(brand, kind, value) as Array<{ id: string; created_at: string; kind: IdentifierRecord['kind']; value: string }>;
      const [first] = rows;
      if (!first || byId.has(first.id)) continue;
      byId.set(first.id, { id: first.id, createdAt: new Date(first.created_at), identifiers: rows.map((r) => ({ kind: r.kind, value: r.value })) });
    }
    const owners: ProfileOwner[] = [...byId.values()];
    const plan: IdentityPlan = rules.planIdentity(identifiers, owners);
    let target: string;
    if (plan.kind === 'use') {
      target = plan.profileId;
      for (const merged of plan.merge) this.merge(brand, merged, target, now);
    } else {
      target = newProfileId;
      this.statements.insertProfile!.run(target, brand, now, now);
    }
    for (const { kind, value } of plan.link) this.statements.linkIdentifier!.run(brand, kind, value, target);
    // A known visitor changes nothing in the graph: no write for it.
    const changed = plan.kind !== 'use' || plan.link.length > 0 || plan.merge.length > 0;
    if (plan.kind === 'use' && changed) this.statements.touchProfile!.run(now, target);
    return { profileId: target, changed };
  }

  /**
   * The profile, when every identifier already belongs to that one profile:
   * then no rule can link, merge or create anything, so the graph is not
   * read further (most signals come from visitors seen before).
   */
  private knownVisitor(brand: string, identifiers: readonly IdentifierRecord[]): string | null {
    let profileId: string | null = null;
    for (const { kind, value } of identifiers) {
      const owner = (this.statements.ownerOf!.get(brand, kind, value) as { profile_id: string } | undefined)?.profile_id;
      if (!owner || (profileId !== null && owner !== profileId)) return null;
      profileId = owner;
    }
    return profileId;
  }

  /** Folds `from` into `into`: identifiers, signals, deliveries and attributes (the surviving profile's win). */
  private merge(brand: string, from: string, into: string, now: string): void {
    const source = this.statements.profile!.get(brand, from) as ProfileRow;
    const target = this.statements.profile!.get(brand, into) as ProfileRow;
    this.db.prepare('UPDATE profile_identifiers SET profile_id = ? WHERE profile_id = ?').run(into, from);
    this.db.prepare('UPDATE signals SET profile_id = ? WHERE brand = ? AND profile_id = ?').run(into, brand, from);
    this.db.prepare('UPDATE deliveries SET profile_id = ? WHERE brand = ? AND profile_id = ?').run(into, brand, from);
    const merged = [...(JSON.parse(target.merged_profile_ids) as string[]), from, ...(JSON.parse(source.merged_profile_ids) as string[])];
    const attributes = { ...(JSON.parse(source.attributes) as object), ...(JSON.parse(target.attributes) as object) };
    this.db.prepare('UPDATE profiles SET merged_profile_ids = ?, attributes = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(merged), JSON.stringify(attributes), now, into);
    this.db.prepare('UPDATE profiles SET merged_into = ?, updated_at = ? WHERE id = ?').run(into, now, from);
    // Profiles merged into `from` earlier now point straight at the survivor.
    this.db.prepare('UPDATE profiles SET merged_into = ? WHERE merged_into = ?').run(into, from);
  }

  private loadProfile(brand: string, id: string): ProfileRecord | null {
    let row = this.statements.profile!.get(brand, id) as ProfileRow | undefined;
    if (row?.merged_into) row = this.statements.profile!.get(brand, row.merged_into) as ProfileRow | undefined;
    if (!row) return null;
    return {
      id: row.id,
      brand: row.brand,
      identifiers: this.statements.identifiersOf!.all(row.id) as IdentifierRecord[],
      attributes: JSON.parse(row.attributes) as Record<string, unknown>,
      mergedProfileIds: JSON.parse(row.merged_profile_ids) as string[],
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  }

  async getSignal(brand: string, id: string): Promise<SignalRecord | null> {
    const row = this.db.prepare('SELECT * FROM signals WHERE brand = ? AND id = ?').get(brand, id) as SignalRow | undefined;
    return row ? toSignal(row) : null;
  }

  async getSignals(brand: string, ids: readonly string[]): Promise<SignalRecord[]> {
    if (ids.length === 0) return [];
    const rows = this.db.prepare(`SELECT * FROM signals WHERE brand = ? AND id IN (${ids.map(() => '?').join(',')})`).all(brand, ...ids) as SignalRow[];
    return rows.map(toSignal);
  }

  async getProfile(brand: string, id: string): Promise<ProfileRecord | null> {
    return this.loadProfile(brand, id);
  }

  async getProfiles(brand: string, ids: readonly string[]): Promise<ProfileRecord[]> {
    return ids.map((id) => this.loadProfile(brand, id)).filter((p): p is ProfileRecord => p !== null);
  }

  async findProfileByIdentifiers(brand: string, identifiers: readonly IdentifierRecord[]): Promise<ProfileRecord | null> {
    // Identifiers come strongest first: the first one with an owner names the profile, as a signal's would.
    for (const { kind, value } of identifiers) {
      const owner = this.statements.ownerOf!.get(brand, kind, value) as { profile_id: string } | undefined;
      if (owner) return this.loadProfile(brand, owner.profile_id);
    }
    return null;
  }

  async deliveriesOfSignals(brand: string, signalIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (signalIds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM deliveries WHERE brand = ? AND signal_id IN (${signalIds.map(() => '?').join(',')}) ORDER BY created_at, id`)
      .all(brand, ...signalIds) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async listDeliveries(brand: string, query: DeliveryQuery, first: number, after: DeliveryCursor | null): Promise<DeliveryPage> {
    const { where, params } = deliveryFilter(brand, query);
    const totalCount = this.db.prepare(`SELECT count(*) FROM deliveries WHERE ${where}`).pluck().get(...params) as number;
    const page = after ? ' AND (created_at > ? OR (created_at = ? AND id > ?))' : '';
    const pageParams = after ? [after.createdAt.toISOString(), after.createdAt.toISOString(), after.id] : [];
    const rows = this.db.prepare(`SELECT * FROM deliveries WHERE ${where}${page} ORDER BY created_at, id LIMIT ?`).all(...params, ...pageParams, first + 1) as DeliveryRow[];
    return { deliveries: rows.slice(0, first).map(toDelivery), hasNextPage: rows.length > first, totalCount };
  }

  async deliveryStats(brand: string, since: Date, until: Date): Promise<DeliveryStatsRow[]> {
    const rows = this.db
      .prepare(
        `SELECT metric_id, environment, status, json_extract(failure, '$.category') AS category, count(*) AS n, max(delivered_at) AS last_delivered
         FROM deliveries WHERE brand = ? AND created_at >= ? AND created_at < ?
         GROUP BY metric_id, environment, status, category ORDER BY metric_id, environment`,
      )
      .all(brand, since.toISOString(), until.toISOString()) as Array<{ metric_id: string; environment: string; status: string; category: string | null; n: number; last_delivered: string | null }>;
    const stats = new Map<string, { metricId: string; environment: DeliveryStatsRow['environment']; byStatus: Record<string, number>; failuresByCategory: Record<string, number>; lastDeliveredAt: Date | null }>();
    for (const row of rows) {
      const key = `${row.metric_id}|${row.environment}`;
      const entry = stats.get(key) ?? { metricId: row.metric_id, environment: row.environment as DeliveryStatsRow['environment'], byStatus: {}, failuresByCategory: {}, lastDeliveredAt: null };
      entry.byStatus[row.status] = (entry.byStatus[row.status] ?? 0) + row.n;
      if (row.category && row.status === 'FAILED') entry.failuresByCategory[row.category] = (entry.failuresByCategory[row.category] ?? 0) + row.n;
      if (row.last_delivered && (!entry.lastDeliveredAt || entry.lastDeliveredAt < new Date(row.last_delivered))) entry.lastDeliveredAt = new Date(row.last_delivered);
      stats.set(key, entry);
    }
    return [...stats.values()];
  }

  async forgetProfile(brand: string, profileId: string, newRequestId: () => string, now: Date): Promise<boolean> {
    const forget = this.db.transaction(() => {
      const profile = this.loadProfile(brand, profileId);
      if (!profile) return false;
      const at = now.toISOString();
      const ids = [profile.id, ...profile.mergedProfileIds];
      const marks = ids.map(() => '?').join(',');
      const strong = profile.identifiers.filter((i) => i.kind === 'EMAIL' || i.kind === 'PHONE' || i.kind === 'EXTERNAL_ID');
      const connections = this.db.prepare("SELECT id, environment FROM connections WHERE brand = ? AND status IN ('CONNECTED', 'NEEDS_REAUTH')").all(brand) as Array<{ id: string; environment: string }>;
      for (const connection of connections) {
        if (strong.length === 0) break; // Klaviyo finds profiles by email, phone or external id; nothing else was ever sent as a person
        this.db.prepare('INSERT INTO deletion_requests (id, brand, connection_id, environment, identifiers, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(newRequestId(), brand, connection.id, connection.environment, JSON.stringify(strong), at);
      }
      // Personal data inside signals: what each metric version's piiFields point at.
      const signals = this.db
        .prepare(`SELECT s.id, s.properties, v.pii_fields FROM signals s JOIN metric_versions v ON v.metric_id = s.metric_id AND v.version = s.metric_version WHERE s.brand = ? AND s.profile_id IN (${marks})`)
        .all(brand, ...ids) as Array<{ id: string; properties: string; pii_fields: string }>;
      const updateSignal = this.db.prepare('UPDATE signals SET properties = ?, profile_id = NULL WHERE id = ?');
      const deliveriesOf = this.db.prepare('SELECT id, status, payload FROM deliveries WHERE signal_id = ?');
      const updateDelivery = this.db.prepare('UPDATE deliveries SET payload = ?, status = ?, profile_id = NULL, updated_at = ? WHERE id = ?');
      for (const signal of signals) {
        const pii = JSON.parse(signal.pii_fields) as string[];
        updateSignal.run(JSON.stringify(removePointers(JSON.parse(signal.properties), pii)), signal.id);
        for (const delivery of deliveriesOf.all(signal.id) as Array<{ id: string; status: string; payload: string | null }>) {
          const payload = delivery.payload
            ? removePointers(JSON.parse(delivery.payload), ['/data/attributes/profile/data/attributes', ...pii.map((p) => `/data/attributes/properties${p}`)])
            : null;
          const status = PENDING_DELIVERY_STATUSES.includes(delivery.status as DeliveryRecord['status']) ? 'CANCELLED' : delivery.status;
          updateDelivery.run(payload === null ? null : JSON.stringify(payload), status, at, delivery.id);
        }
      }
      this.db.prepare(`DELETE FROM profile_identifiers WHERE brand = ? AND profile_id IN (${marks})`).run(brand, ...ids);
      this.db.prepare(`DELETE FROM profiles WHERE brand = ? AND (id IN (${marks}) OR merged_into IN (${marks}))`).run(brand, ...ids, ...ids);
      return true;
    });
    return forget.immediate();
  }

  async deletionRequests(brand: string): Promise<DeletionRequestRecord[]> {
    const rows = this.db.prepare('SELECT * FROM deletion_requests WHERE brand = ? ORDER BY created_at, id').all(brand) as Array<{ id: string; brand: string; connection_id: string; environment: string; identifiers: string; status: string; created_at: string }>;
    return rows.map((row) => ({
      id: row.id,
      brand: row.brand,
      connectionId: row.connection_id,
      environment: row.environment as DeletionRequestRecord['environment'],
      identifiers: JSON.parse(row.identifiers) as IdentifierRecord[],
      status: row.status as DeletionRequestRecord['status'],
      createdAt: new Date(row.created_at),
    }));
  }
}

export function deliveryFilter(brand: string, query: DeliveryQuery): { where: string; params: unknown[] } {
  const clauses = ['brand = ?'];
  const params: unknown[] = [brand];
  if (query.metricId !== undefined) (clauses.push('metric_id = ?'), params.push(query.metricId));
  if (query.statuses?.length) (clauses.push(`status IN (${query.statuses.map(() => '?').join(',')})`), params.push(...query.statuses));
  if (query.environment !== undefined) (clauses.push('environment = ?'), params.push(query.environment));
  if (query.connectionId !== undefined) (clauses.push('connection_id = ?'), params.push(query.connectionId));
  if (query.failureCategory !== undefined) (clauses.push("json_extract(failure, '$.category') = ?"), params.push(query.failureCategory));
  if (query.profileId !== undefined) (clauses.push('profile_id = ?'), params.push(query.profileId));
  if (query.since !== undefined) (clauses.push('created_at >= ?'), params.push(query.since.toISOString()));
  if (query.until !== undefined) (clauses.push('created_at < ?'), params.push(query.until.toISOString()));
  return { where: clauses.join(' AND '), params };
}
