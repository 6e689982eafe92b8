import mongoose, { type Connection } from 'mongoose';
import { bindModels, type Models } from '../../models';
import { StoreClosedError, type AppliedMigration, type Store, type StoreDescription } from '../port';
import { MongoAuthorizationStateRepository, MongoConnectionRepository } from './connections.repository';
import { MongoMetricRepository } from './metrics.repository';
import { MongoIntakeRepository } from './intake.repository';
import { MongoDeliveryQueue } from './delivery-queue.repository';
import { applyMongoMigrations, MONGO_MIGRATIONS, type MongoMigration } from './migrations';

export interface MongoStoreOptions {
  readonly uri: string;
  /** Overrides the database named in the URI (the contract suite uses a fresh one per run). */
  readonly dbName?: string;
  readonly migrations?: readonly MongoMigration[];
  readonly serverSelectionTimeoutMS?: number;
}

/**
 * The scale-out store: mongoose on a replica set, every write acknowledged by a
 * majority so an answered mutation survives a primary failover.
 */
export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  readonly connections: MongoConnectionRepository;
  readonly authorizationStates: MongoAuthorizationStateRepository;
  readonly metrics: MongoMetricRepository;
  readonly intake: MongoIntakeRepository;
  readonly deliveryQueue: MongoDeliveryQueue;
  private closed = false;

  private constructor(
    private readonly connection: Connection,
    readonly models: Models,
  ) {
    this.connections = new MongoConnectionRepository(models);
    this.authorizationStates = new MongoAuthorizationStateRepository(models);
    this.metrics = new MongoMetricRepository(models);
    this.intake = new MongoIntakeRepository(models, connection);
    this.deliveryQueue = new MongoDeliveryQueue(models);
  }

  static async open({ uri, dbName, migrations = MONGO_MIGRATIONS, serverSelectionTimeoutMS = 10_000 }: MongoStoreOptions): Promise<MongoStore> {
    const connection = mongoose.createConnection(uri, {
      ...(dbName ? { dbName } : {}),
      writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' },
      serverSelectionTimeoutMS,
      autoIndex: false, // indexes are built by migrations, not on every start
      autoCreate: false,
    });
    try {
      await connection.asPromise();
      const models = bindModels(connection);
      await applyMongoMigrations(models, migrations);
      return new MongoStore(connection, models);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError(this.kind);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const db = this.connection.db;
    if (!db) throw new Error('the mongo connection has no database');
    await db.admin().ping();
  }

  async describe(): Promise<StoreDescription> {
    this.assertOpen();
    const meta = await this.models.GatewayMeta.findById('store_id').lean();
    const latest = await this.models.Migration.findOne({}, { _id: 1 }).sort({ _id: -1 }).lean();
    return { kind: this.kind, storeId: meta?.value ?? '', schemaVersion: latest?._id ?? 0 };
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    this.assertOpen();
    const docs = await this.models.Migration.find().sort({ _id: 1 }).lean();
    return docs.map((doc) => ({ version: doc._id, name: doc.name, appliedAt: doc.appliedAt }));
  }

  /** Drops this store's database: for the contract suite's throwaway databases only. */
  async dropDatabase(): Promise<void> {
    this.assertOpen();
    await this.connection.dropDatabase();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }
}
