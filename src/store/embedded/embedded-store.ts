import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { StoreClosedError, type AppliedMigration, type Store, type StoreDescription } from '../port';
import { EmbeddedAuthorizationStateRepository, EmbeddedConnectionRepository } from './connections.repository';
import { EmbeddedMetricRepository } from './metrics.repository';
import { openEmbeddedDatabase } from './database';
import { EmbeddedIntakeRepository } from './intake.repository';
import { IntakeWriterThread } from './intake-writer';
import { lockWrites, ThreadWriteLock } from './write-lock';
import { EmbeddedDeliveryQueue } from './delivery-queue.repository';
import { applyEmbeddedMigrations, EMBEDDED_MIGRATIONS, type EmbeddedMigration } from './migrations';

export const EMBEDDED_DB_FILE = 'gateway.db';

export interface EmbeddedStoreOptions {
  readonly dataDir: string;
  /** Tests add migrations of their own to exercise the runner. */
  readonly migrations?: readonly EmbeddedMigration[];
  /**
   * 'thread' (what the gateway runs): signals are written on a thread of
   * their own, off the event loop. 'inline': on the caller's thread.
   */
  readonly intakeWriter?: 'thread' | 'inline';
}

/**
 * The default store: one SQLite file in DATA_DIR (see openEmbeddedDatabase
 * for how every connection to it is set up).
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly path: string;
  readonly connections: EmbeddedConnectionRepository;
  readonly authorizationStates: EmbeddedAuthorizationStateRepository;
  readonly metrics: EmbeddedMetricRepository;
  readonly intake: EmbeddedIntakeRepository;
  readonly deliveryQueue: EmbeddedDeliveryQueue;
  private db: Database | null;
  private readonly writer: IntakeWriterThread | null;

  private constructor(path: string, db: Database, intakeWriter: 'thread' | 'inline') {
    this.path = path;
    this.db = db;
    if (intakeWriter === 'thread') {
      // Two connections in one process: they take turns through a lock of their own (see ThreadWriteLock).
      const lock = new ThreadWriteLock();
      lockWrites(db, lock);
      // While the writer thread runs it checkpoints, off the event loop; otherwise this connection does, as SQLite's default.
      this.writer = new IntakeWriterThread(path, lock, (running) => this.db?.pragma(`wal_autocheckpoint = ${running ? 0 : 1000}`));
    } else {
      this.writer = null;
    }
    this.connections = new EmbeddedConnectionRepository(db);
    this.authorizationStates = new EmbeddedAuthorizationStateRepository(db);
    this.metrics = new EmbeddedMetricRepository(db);
    this.intake = new EmbeddedIntakeRepository(db, this.writer);
    this.deliveryQueue = new EmbeddedDeliveryQueue(db);
  }

  static open({ dataDir, migrations = EMBEDDED_MIGRATIONS, intakeWriter = 'inline' }: EmbeddedStoreOptions): EmbeddedStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, EMBEDDED_DB_FILE);
    const db = openEmbeddedDatabase(path);
    try {
      applyEmbeddedMigrations(db, migrations);
    } catch (error) {
      db.close();
      throw error;
    }
    return new EmbeddedStore(path, db, intakeWriter);
  }

  /** The open database; adapters of later aggregates share it. */
  get database(): Database {
    if (!this.db) throw new StoreClosedError(this.kind);
    return this.db;
  }

  async ping(): Promise<void> {
    this.database.prepare('SELECT 1').get();
  }

  async describe(): Promise<StoreDescription> {
    const db = this.database;
    const storeId = db.prepare("SELECT value FROM gateway_meta WHERE key = 'store_id'").pluck().get() as string;
    const schemaVersion = db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number;
    return { kind: this.kind, storeId, schemaVersion };
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    const rows = this.database
      .prepare('SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version')
      .all() as Array<{ version: number; name: string; appliedAt: string }>;
    return rows.map((row) => ({ version: row.version, name: row.name, appliedAt: new Date(row.appliedAt) }));
  }

  async close(): Promise<void> {
    // The writer's batches were answered to nobody yet: they commit first.
    await this.writer?.close();
    const db = this.db;
    this.db = null;
    db?.close();
  }
}
