import { randomUUID } from 'node:crypto';
import type { Models } from '../../models';

/**
 * One schema change of the mongo store. Several gateways may start at once and
 * MongoDB has no multi-collection DDL transaction, so every `up` must be
 * idempotent (create indexes, upsert with $setOnInsert).
 */
export interface MongoMigration {
  readonly version: number;
  readonly name: string;
  up(models: Models): Promise<void>;
}

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  {
    version: 1,
    name: 'baseline',
    async up(models) {
      await models.Migration.createIndexes();
      await models.GatewayMeta.createIndexes();
      await models.GatewayMeta.updateOne({ _id: 'store_id' }, { $setOnInsert: { value: randomUUID() } }, { upsert: true });
    },
  },
  {
    version: 2,
    name: 'connections',
    async up(models) {
      await models.Connection.createCollection();
      await models.Connection.createIndexes();
      await models.AuthorizationState.createCollection();
      await models.AuthorizationState.createIndexes();
    },
  },
  {
    version: 3,
    name: 'metric_definitions',
    async up(models) {
      await models.MetricDefinition.createCollection();
      await models.MetricDefinition.createIndexes();
    },
  },
  {
    version: 4,
    name: 'intake',
    async up(models) {
      for (const model of [models.Profile, models.ProfileIdentifier, models.Signal, models.Delivery, models.DeletionRequest] as const) {
        await (model as typeof models.Profile).createCollection();
        await (model as typeof models.Profile).createIndexes();
      }
    },
  },
  {
    version: 5,
    name: 'delivery_queue',
    async up(models) {
      await models.ConnectionLease.createCollection();
    },
  },
  {
    version: 6,
    name: 'profile_imports',
    async up(models) {
      await models.ProfileImport.createCollection();
      await models.ProfileImport.createIndexes();
    },
  },
];

const DUPLICATE_KEY = 11000;

export async function applyMongoMigrations(models: Models, migrations: readonly MongoMigration[] = MONGO_MIGRATIONS): Promise<number[]> {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`mongo migration "${migration.name}" must have version ${index + 1}`);
  });
  const applied = new Set((await models.Migration.find({}, { _id: 1 }).lean()).map((doc) => doc._id));
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await migration.up(models);
    try {
      await models.Migration.create({ _id: migration.version, name: migration.name, appliedAt: new Date() });
      newlyApplied.push(migration.version);
    } catch (error) {
      // Another gateway recorded it first; the idempotent `up` made this run harmless.
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
    }
  }
  return newlyApplied;
}
