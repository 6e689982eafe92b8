import type { ClientSession, Connection } from 'mongoose';
import type { DeletionRequestDoc, DeliveryDoc, MetricDefinitionDoc, Models, ProfileDoc, SignalDoc } from '../../models';
import { removePointers } from '../json-pointer';
import { PENDING_DELIVERY_STATUSES } from '../intake.port';
import type {
  DeletionRequestRecord,
  DeliveryCursor,
  DeliveryPage,
  DeliveryQuery,
  DeliveryStatsRow,
  DeliveryRecord,
  IdentifierRecord,
  IdentifyItem,
  IntakeItem,
  IntakeRepository,
  IntakeResult,
  IntakeRules,
  ProfileOwner,
  ProfileRecord,
  SignalRecord,
} from '../intake.port';

const identifierId = (brand: string, { kind, value }: IdentifierRecord) => `${brand}|${kind}|${value}`;

const toSignal = (doc: SignalDoc): SignalRecord => ({
  id: doc._id,
  brand: doc.brand,
  metricId: doc.metricId,
  metricKey: doc.metricKey,
  metricVersion: doc.metricVersion,
  profileId: doc.profileId ?? null,
  occurredAt: doc.occurredAt,
  receivedAt: doc.receivedAt,
  properties: doc.properties,
  value: doc.value ?? null,
  valueCurrency: doc.valueCurrency ?? null,
  idempotencyKey: doc.idempotencyKey,
});

export const toDeliveryRecord = (doc: DeliveryDoc): DeliveryRecord => ({
  id: doc._id,
  brand: doc.brand,
  signalId: doc.signalId,
  connectionId: doc.connectionId,
  environment: doc.environment,
  metricId: doc.metricId,
  profileId: doc.profileId ?? null,
  status: doc.status as DeliveryRecord['status'],
  attempts: doc.attempts ?? 0,
  nextAttemptAt: doc.nextAttemptAt ?? null,
  lastAttemptAt: doc.lastAttemptAt ?? null,
  firstAttemptAt: doc.firstAttemptAt ?? null,
  deliveredAt: doc.deliveredAt ?? null,
  failure: doc.failure ?? null,
  payload: doc.payload ?? null,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

/**
 * The identity graph, signals and deliveries in MongoDB. A batch runs in one
 * multi-document transaction (a replica set is required); each item is planned
 * and its deliveries built before anything of it is written, so one bad item
 * fails alone without a savepoint.
 */
export class MongoIntakeRepository implements IntakeRepository {
  constructor(
    private readonly models: Models,
    private readonly connection: Connection,
  ) {}

  async recordSignals(items: readonly IntakeItem[], rules: IntakeRules): Promise<IntakeResult[]> {
    let results: IntakeResult[] = [];
    await this.connection.transaction(async (session) => {
      results = [];
      for (const item of items) results.push(await this.recordOne(item, rules, session));
    });
    return results;
  }

  private async recordOne(item: IntakeItem, rules: IntakeRules, session: ClientSession): Promise<IntakeResult> {
    const { brand } = item.signal;
    const existing = await this.models.Signal.findOne({ brand, idempotencyKey: item.signal.idempotencyKey }).session(session).lean<SignalDoc>();
    if (existing) return { ok: true, signal: toSignal(existing), duplicate: true };
    const now = item.signal.receivedAt;
    const owners = await this.ownersOf(brand, item.identifiers, session);
    const plan = rules.planIdentity(item.identifiers, owners);
    const profileId = plan.kind === 'use' ? plan.profileId : item.newProfileId;
    const signal: SignalRecord = { ...item.signal, profileId };
    // The profile as it will be once the plan is applied: what deliveries are built from.
    const target = plan.kind === 'use' ? await this.models.Profile.findOne({ brand, _id: profileId }).session(session).lean<ProfileDoc>() : null;
    const mergedIdentifiers = plan.kind === 'use' ? owners.filter((o) => o.id === profileId || plan.merge.includes(o.id)).flatMap((o) => o.identifiers) : [];
    const moved = new Set(plan.link.map((i) => `${i.kind}:${i.value}`));
    const profile: ProfileRecord = {
      id: profileId,
      brand,
      identifiers: [...mergedIdentifiers.filter((i) => !moved.has(`${i.kind}:${i.value}`)), ...plan.link],
      attributes: target?.attributes ?? {},
      mergedProfileIds: [...(target?.mergedProfileIds ?? []), ...(plan.kind === 'use' ? plan.merge : [])],
      createdAt: target?.createdAt ?? now,
      updatedAt: now,
    };
    let deliveries: ReturnType<IntakeRules['deliveriesFor']> = [];
    try {
      if (item.deliveryTargets.length > 0) deliveries = rules.deliveriesFor(signal, profile, item);
    } catch (error) {
      return { ok: false, error: error as Error };
    }
    await this.applyPlan(brand, plan, profileId, now, session);
    await this.models.Signal.create([{ _id: signal.id, ...signal, properties: { ...signal.properties } }], { session });
    if (deliveries.length > 0) {
      await this.models.Delivery.insertMany(
        deliveries.map((d) => ({ _id: d.id, brand, signalId: signal.id, connectionId: d.connectionId, environment: d.environment, metricId: signal.metricId, profileId, status: d.status, attempts: 0, payload: d.payload, createdAt: now, updatedAt: now })),
        { session },
      );
    }
    return { ok: true, signal, duplicate: false };
  }

  async identify(item: IdentifyItem, rules: Pick<IntakeRules, 'planIdentity'>): Promise<ProfileRecord> {
    let profileId = '';
    await this.connection.transaction(async (session) => {
      const owners = await this.ownersOf(item.brand, item.identifiers, session);
      const plan = rules.planIdentity(item.identifiers, owners);
      profileId = plan.kind === 'use' ? plan.profileId : item.newProfileId;
      const changed = plan.kind !== 'use' || plan.link.length > 0 || plan.merge.length > 0 || item.attributes !== null;
      await this.applyPlan(item.brand, plan, profileId, item.now, session);
      if (item.attributes) {
        const set: Record<string, unknown> = {};
        const unset: Record<string, ''> = {};
        for (const [key, value] of Object.entries(item.attributes)) {
          if (value === null) unset[`attributes.${key}`] = '';
          else set[`attributes.${key}`] = value;
        }
        await this.models.Profile.updateOne({ _id: profileId }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { session });
      }
      if (item.profileImports) {
        const profile = await this.readProfile(item.brand, profileId, session);
        const jobs = profile ? item.profileImports(profile, changed) : [];
        if (jobs.length > 0) {
          await this.models.ProfileImport.insertMany(
            jobs.map((job) => ({ _id: job.id, brand: item.brand, connectionId: job.connectionId, environment: job.environment, profileId, payload: job.payload, status: 'QUEUED', attempts: 0, createdAt: item.now, updatedAt: item.now })),
            { session },
          );
        }
      }
    });
    return (await this.getProfile(item.brand, profileId))!;
  }

  /** The profile as this transaction sees it. */
  private async readProfile(brand: string, id: string, session: ClientSession): Promise<ProfileRecord | null> {
    const doc = await this.models.Profile.findOne({ brand, _id: id }).session(session).lean<ProfileDoc>();
    if (!doc) return null;
    const links = await this.models.ProfileIdentifier.find({ brand, profileId: id }).session(session).lean();
    return {
      id: doc._id,
      brand,
      identifiers: links.map((l) => ({ kind: l.kind as IdentifierRecord['kind'], value: l.value })),
      attributes: doc.attributes ?? {},
      mergedProfileIds: doc.mergedProfileIds ?? [],
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    };
  }

  private async ownersOf(brand: string, identifiers: readonly IdentifierRecord[], session: ClientSession): Promise<ProfileOwner[]> {
    const links = await this.models.ProfileIdentifier.find({ _id: { $in: identifiers.map((i) => identifierId(brand, i)) } }).session(session).lean();
    const ids = [...new Set(links.map((l) => l.profileId))];
    if (ids.length === 0) return [];
    const [profiles, all] = await Promise.all([
      this.models.Profile.find({ brand, _id: { $in: ids } }).session(session).lean<ProfileDoc[]>(),
      this.models.ProfileIdentifier.find({ brand, profileId: { $in: ids } }).session(session).lean(),
    ]);
    return profiles.map((p) => ({ id: p._id, createdAt: p.createdAt, identifiers: all.filter((l) => l.profileId === p._id).map((l) => ({ kind: l.kind as IdentifierRecord['kind'], value: l.value })) }));
  }

  private async applyPlan(brand: string, plan: ReturnType<IntakeRules['planIdentity']>, profileId: string, now: Date, session: ClientSession): Promise<void> {
    if (plan.kind === 'use') {
      for (const from of plan.merge) {
        const source = await this.models.Profile.findOne({ brand, _id: from }).session(session).lean<ProfileDoc>();
        await this.models.ProfileIdentifier.updateMany({ brand, profileId: from }, { $set: { profileId } }, { session });
        await this.models.Signal.updateMany({ brand, profileId: from }, { $set: { profileId } }, { session });
        await this.models.Delivery.updateMany({ brand, profileId: from }, { $set: { profileId } }, { session });
        const target = await this.models.Profile.findOne({ brand, _id: profileId }).session(session).lean<ProfileDoc>();
        await this.models.Profile.updateOne(
          { _id: profileId },
          { $set: { attributes: { ...(source?.attributes ?? {}), ...(target?.attributes ?? {}) }, updatedAt: now }, $push: { mergedProfileIds: { $each: [from, ...(source?.mergedProfileIds ?? [])] } } },
          { session },
        );
        await this.models.Profile.updateMany({ brand, $or: [{ _id: from }, { mergedInto: from }] }, { $set: { mergedInto: profileId, updatedAt: now } }, { session });
      }
    } else {
      await this.models.Profile.create([{ _id: profileId, brand, attributes: {}, mergedInto: null, mergedProfileIds: [], createdAt: now, updatedAt: now }], { session });
    }
    for (const identifier of plan.link) {
      await this.models.ProfileIdentifier.updateOne({ _id: identifierId(brand, identifier) }, { $set: { brand, kind: identifier.kind, value: identifier.value, profileId } }, { upsert: true, session });
    }
    await this.models.Profile.updateOne({ _id: profileId }, { $set: { updatedAt: now } }, { session });
  }

  async getSignal(brand: string, id: string): Promise<SignalRecord | null> {
    const doc = await this.models.Signal.findOne({ brand, _id: id }).lean<SignalDoc>();
    return doc ? toSignal(doc) : null;
  }

  async getSignals(brand: string, ids: readonly string[]): Promise<SignalRecord[]> {
    return (await this.models.Signal.find({ brand, _id: { $in: [...ids] } }).lean<SignalDoc[]>()).map(toSignal);
  }

  async getProfile(brand: string, id: string): Promise<ProfileRecord | null> {
    const [profile] = await this.getProfiles(brand, [id]);
    return profile ?? null;
  }

  async getProfiles(brand: string, ids: readonly string[]): Promise<ProfileRecord[]> {
    const docs = await this.models.Profile.find({ brand, _id: { $in: [...ids] } }).lean<ProfileDoc[]>();
    const survivors = await this.models.Profile.find({ brand, _id: { $in: [...new Set(docs.map((d) => d.mergedInto ?? d._id))] } }).lean<ProfileDoc[]>();
    const byId = new Map(survivors.map((d) => [d._id, d]));
    const links = await this.models.ProfileIdentifier.find({ brand, profileId: { $in: [...byId.keys()] } }).lean();
    return ids
      .map((id) => docs.find((d) => d._id === id))
      .filter((d): d is ProfileDoc => d !== undefined)
      .map((d) => byId.get(d.mergedInto ?? d._id))
      .filter((d): d is ProfileDoc => d !== undefined)
      .map((d) => ({
        id: d._id,
        brand: d.brand,
        identifiers: links.filter((l) => l.profileId === d._id).map((l) => ({ kind: l.kind as IdentifierRecord['kind'], value: l.value })).sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value)),
        attributes: d.attributes ?? {},
        mergedProfileIds: d.mergedProfileIds ?? [],
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
      }));
  }

  async findProfileByIdentifiers(brand: string, identifiers: readonly IdentifierRecord[]): Promise<ProfileRecord | null> {
    const links = await this.models.ProfileIdentifier.find({ _id: { $in: identifiers.map((i) => identifierId(brand, i)) } }).lean();
    for (const identifier of identifiers) {
      const link = links.find((l) => l._id === identifierId(brand, identifier));
      if (link) return this.getProfile(brand, link.profileId);
    }
    return null;
  }

  async deliveriesOfSignals(brand: string, signalIds: readonly string[]): Promise<DeliveryRecord[]> {
    const docs = await this.models.Delivery.find({ brand, signalId: { $in: [...signalIds] } }).sort({ createdAt: 1, _id: 1 }).lean<DeliveryDoc[]>();
    return docs.map(toDeliveryRecord);
  }

  async listDeliveries(brand: string, query: DeliveryQuery, first: number, after: DeliveryCursor | null): Promise<DeliveryPage> {
    const filter = deliveryFilter(brand, query);
    const page = after ? { $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, _id: { $gt: after.id } }] } : {};
    const [totalCount, docs] = await Promise.all([
      this.models.Delivery.countDocuments(filter),
      this.models.Delivery.find({ $and: [filter, page] }).sort({ createdAt: 1, _id: 1 }).limit(first + 1).lean<DeliveryDoc[]>(),
    ]);
    return { deliveries: docs.slice(0, first).map(toDeliveryRecord), hasNextPage: docs.length > first, totalCount };
  }

  async deliveryStats(brand: string, since: Date, until: Date): Promise<DeliveryStatsRow[]> {
    const rows = await this.models.Delivery.aggregate<{ _id: { metricId: string; environment: string; status: string; category: string | null }; n: number; lastDelivered: Date | null }>([
      { $match: { brand, createdAt: { $gte: since, $lt: until } } },
      { $group: { _id: { metricId: '$metricId', environment: '$environment', status: '$status', category: '$failure.category' }, n: { $sum: 1 }, lastDelivered: { $max: '$deliveredAt' } } },
    ]);
    const stats = new Map<string, { metricId: string; environment: DeliveryStatsRow['environment']; byStatus: Record<string, number>; failuresByCategory: Record<string, number>; lastDeliveredAt: Date | null }>();
    for (const row of rows) {
      const key = `${row._id.metricId}|${row._id.environment}`;
      const entry = stats.get(key) ?? { metricId: row._id.metricId, environment: row._id.environment as DeliveryStatsRow['environment'], byStatus: {}, failuresByCategory: {}, lastDeliveredAt: null };
      entry.byStatus[row._id.status] = (entry.byStatus[row._id.status] ?? 0) + row.n;
      if (row._id.category && row._id.status === 'FAILED') entry.failuresByCategory[row._id.category] = (entry.failuresByCategory[row._id.category] ?? 0) + row.n;
      if (row.lastDelivered && (!entry.lastDeliveredAt || entry.lastDeliveredAt < row.lastDelivered)) entry.lastDeliveredAt = row.lastDelivered;
      stats.set(key, entry);
    }
    return [...stats.values()].sort((a, b) => a.metricId.localeCompare(b.metricId) || a.environment.localeCompare(b.environment));
  }

  async forgetProfile(brand: string, profileId: string, newRequestId: () => string, now: Date): Promise<boolean> {
    const profile = await this.getProfile(brand, profileId);
    if (!profile) return false;
    const ids = [profile.id, ...profile.mergedProfileIds];
    await this.connection.transaction(async (session) => {
      const strong = profile.identifiers.filter((i) => i.kind === 'EMAIL' || i.kind === 'PHONE' || i.kind === 'EXTERNAL_ID');
      const connections = await this.models.Connection.find({ brand, status: { $in: ['CONNECTED', 'NEEDS_REAUTH'] } }).session(session).lean();
      if (strong.length > 0 && connections.length > 0) {
        await this.models.DeletionRequest.insertMany(
          connections.map((c) => ({ _id: newRequestId(), brand, connectionId: c._id, environment: c.environment, identifiers: strong, status: 'PENDING', createdAt: now })),
          { session },
        );
      }
      const signals = await this.models.Signal.find({ brand, profileId: { $in: ids } }).session(session).lean<SignalDoc[]>();
      const metrics = await this.models.MetricDefinition.find({ brand, _id: { $in: [...new Set(signals.map((s) => s.metricId))] } }).session(session).lean<MetricDefinitionDoc[]>();
      const piiOf = (signal: SignalDoc) => metrics.find((m) => m._id === signal.metricId)?.versions.find((v) => v.version === signal.metricVersion)?.piiFields ?? [];
      for (const signal of signals) {
        const pii = piiOf(signal);
        await this.models.Signal.updateOne({ _id: signal._id }, { $set: { properties: removePointers(signal.properties, pii), profileId: null } }, { session });
        const deliveries = await this.models.Delivery.find({ brand, signalId: signal._id }).session(session).lean<DeliveryDoc[]>();
        for (const delivery of deliveries) {
          const payload = delivery.payload ? removePointers(delivery.payload, ['/data/attributes/profile/data/attributes', ...pii.map((p) => `/data/attributes/properties${p}`)]) : null;
          const status = PENDING_DELIVERY_STATUSES.includes(delivery.status as DeliveryRecord['status']) ? 'CANCELLED' : delivery.status;
          await this.models.Delivery.updateOne({ _id: delivery._id }, { $set: { payload, status, profileId: null, updatedAt: now } }, { session });
        }
      }
      await this.models.ProfileIdentifier.deleteMany({ brand, profileId: { $in: ids } }, { session });
      await this.models.Profile.deleteMany({ brand, $or: [{ _id: { $in: ids } }, { mergedInto: { $in: ids } }] }, { session });
    });
    return true;
  }

  async deletionRequests(brand: string): Promise<DeletionRequestRecord[]> {
    const docs = await this.models.DeletionRequest.find({ brand }).sort({ createdAt: 1, _id: 1 }).lean<DeletionRequestDoc[]>();
    return docs.map((d) => ({ id: d._id, brand: d.brand, connectionId: d.connectionId, environment: d.environment, identifiers: d.identifiers as IdentifierRecord[], status: d.status, createdAt: d.createdAt }));
  }
}

export function deliveryFilter(brand: string, query: DeliveryQuery): Record<string, unknown> {
  const filter: Record<string, unknown> = { brand };
  if (query.metricId !== undefined) filter.metricId = query.metricId;
  if (query.statuses?.length) filter.status = { $in: [...query.statuses] };
  if (query.environment !== undefined) filter.environment = query.environment;
  if (query.connectionId !== undefined) filter.connectionId = query.connectionId;
  if (query.failureCategory !== undefined) filter['failure.category'] = query.failureCategory;
  if (query.profileId !== undefined) filter.profileId = query.profileId;
  if (query.since !== undefined || query.until !== undefined) {
    filter.createdAt = { ...(query.since ? { $gte: query.since } : {}), ...(query.until ? { $lt: query.until } : {}) };
  }
  return filter;
}
