import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/** One forward-only schema change of the embedded store; applied once, in order, at start. */
export interface EmbeddedMigration {
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}

export const EMBEDDED_MIGRATIONS: readonly EmbeddedMigration[] = [
  {
    version: 1,
    name: 'baseline',
    up(db) {
      db.exec(`
        CREATE TABLE gateway_meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
      `);
      db.prepare('INSERT INTO gateway_meta (key, value) VALUES (?, ?)').run('store_id', randomUUID());
    },
  },
  {
    version: 2,
    name: 'connections',
    up(db) {
      db.exec(`
        CREATE TABLE connections (
          id                      TEXT PRIMARY KEY,
          brand                   TEXT NOT NULL,
          environment             TEXT NOT NULL CHECK (environment IN ('SANDBOX', 'PRODUCTION')),
          auth_method             TEXT NOT NULL CHECK (auth_method IN ('OAUTH', 'API_KEY')),
          status                  TEXT NOT NULL CHECK (status IN ('PENDING', 'CONNECTED', 'NEEDS_REAUTH', 'DISCONNECTED')),
          klaviyo_account_id      TEXT,
          klaviyo_account_name    TEXT,
          klaviyo_test_account    INTEGER,
          scopes                  TEXT NOT NULL DEFAULT '[]',
          access_token_issued_at  TEXT,
          access_token_expires_at TEXT,
          last_refreshed_at       TEXT,
          last_error              TEXT,
          config_error            TEXT,
          sealed_access_token     TEXT,
          sealed_refresh_token    TEXT,
          sealed_api_key          TEXT,
          token_version           INTEGER NOT NULL DEFAULT 0,
          refresh_claim_owner     TEXT,
          refresh_claim_until     TEXT,
          created_at              TEXT NOT NULL,
          updated_at              TEXT NOT NULL,
          UNIQUE (brand, environment)
        ) STRICT;

        CREATE TABLE oauth_states (
          state           TEXT PRIMARY KEY,
          brand           TEXT NOT NULL,
          environment     TEXT NOT NULL,
          connection_id   TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
          sealed_verifier TEXT NOT NULL,
          created_at      TEXT NOT NULL,
          expires_at      TEXT NOT NULL
        ) STRICT;
        CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
      `);
    },
  },
  {
    version: 3,
    name: 'metric_definitions',
    up(db) {
      db.exec(`
        CREATE TABLE metric_definitions (
          id          TEXT PRIMARY KEY,
          brand       TEXT NOT NULL,
          key         TEXT NOT NULL,
          version     INTEGER NOT NULL,
          rollout     TEXT NOT NULL,
          created_at  TEXT NOT NULL,
          updated_at  TEXT NOT NULL,
          UNIQUE (brand, key)
        ) STRICT;

        CREATE TABLE metric_versions (
          metric_id         TEXT NOT NULL REFERENCES metric_definitions (id),
          version           INTEGER NOT NULL,
          name              TEXT NOT NULL,
          description       TEXT,
          properties_schema TEXT NOT NULL,
          pii_fields        TEXT NOT NULL,
          created_at        TEXT NOT NULL,
          PRIMARY KEY (metric_id, version)
        ) STRICT;
      `);
    },
  },
  {
    version: 4,
    name: 'intake',
    up(db) {
      db.exec(`
        CREATE TABLE profiles (
          id                 TEXT PRIMARY KEY,
          brand              TEXT NOT NULL,
          attributes         TEXT NOT NULL DEFAULT '{}',
          merged_into        TEXT,
          merged_profile_ids TEXT NOT NULL DEFAULT '[]',
          created_at         TEXT NOT NULL,
          updated_at         TEXT NOT NULL
        ) STRICT;
        CREATE INDEX profiles_brand ON profiles (brand, created_at);

        -- Each identifier belongs to at most one profile of a brand: the primary key says so.
        CREATE TABLE profile_identifiers (
          brand      TEXT NOT NULL,
          kind       TEXT NOT NULL,
          value      TEXT NOT NULL,
          profile_id TEXT NOT NULL REFERENCES profiles (id),
          PRIMARY KEY (brand, kind, value)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX profile_identifiers_profile ON profile_identifiers (profile_id);

        CREATE TABLE signals (
          id              TEXT PRIMARY KEY,
          brand           TEXT NOT NULL,
          metric_id       TEXT NOT NULL,
          metric_key      TEXT NOT NULL,
          metric_version  INTEGER NOT NULL,
          profile_id      TEXT,
          occurred_at     TEXT NOT NULL,
          received_at     TEXT NOT NULL,
          properties      TEXT NOT NULL,
          value           REAL,
          value_currency  TEXT,
          idempotency_key TEXT NOT NULL,
          UNIQUE (brand, idempotency_key)
        ) STRICT;
        CREATE INDEX signals_profile ON signals (brand, profile_id);

        CREATE TABLE deliveries (
          id              TEXT PRIMARY KEY,
          brand           TEXT NOT NULL,
          signal_id       TEXT NOT NULL REFERENCES signals (id),
          connection_id   TEXT NOT NULL,
          environment     TEXT NOT NULL,
          metric_id       TEXT NOT NULL,
          profile_id      TEXT,
          status          TEXT NOT NULL,
          attempts        INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TEXT,
          last_attempt_at TEXT,
          delivered_at    TEXT,
          failure         TEXT,
          payload         TEXT,
          created_at      TEXT NOT NULL,
          updated_at      TEXT NOT NULL
        ) STRICT;
        CREATE INDEX deliveries_signal ON deliveries (signal_id);
        CREATE INDEX deliveries_brand_order ON deliveries (brand, created_at, id);
        CREATE INDEX deliveries_due ON deliveries (connection_id, status, next_attempt_at);
      `);
    },
  },
  {
    version: 5,
    name: 'deletion_requests',
    up(db) {
      db.exec(`
        CREATE TABLE deletion_requests (
          id            TEXT PRIMARY KEY,
          brand         TEXT NOT NULL,
          connection_id TEXT NOT NULL,
          environment   TEXT NOT NULL,
          identifiers   TEXT NOT NULL,
          status        TEXT NOT NULL DEFAULT 'PENDING',
          created_at    TEXT NOT NULL
        ) STRICT;
        CREATE INDEX deletion_requests_pending ON deletion_requests (connection_id, status);
      `);
    },
  },
  {
    version: 6,
    name: 'delivery_queue',
    up(db) {
      db.exec(`
        ALTER TABLE deliveries ADD COLUMN first_attempt_at TEXT;
        CREATE TABLE connection_leases (
          connection_id TEXT PRIMARY KEY,
          owner         TEXT NOT NULL,
          until         TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 7,
    name: 'profile_imports',
    up(db) {
      db.exec(`
        CREATE TABLE profile_imports (
          id               TEXT PRIMARY KEY,
          brand            TEXT NOT NULL,
          connection_id    TEXT NOT NULL,
          environment      TEXT NOT NULL,
          profile_id       TEXT NOT NULL,
          payload          TEXT NOT NULL,
          status           TEXT NOT NULL DEFAULT 'QUEUED',
          attempts         INTEGER NOT NULL DEFAULT 0,
          next_attempt_at  TEXT,
          first_attempt_at TEXT,
          last_attempt_at  TEXT,
          failure          TEXT,
          created_at       TEXT NOT NULL,
          updated_at       TEXT NOT NULL
        ) STRICT;
        CREATE INDEX profile_imports_due ON profile_imports (connection_id, status, next_attempt_at);
        ALTER TABLE deletion_requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deletion_requests ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE deletion_requests ADD COLUMN first_attempt_at TEXT;
        ALTER TABLE deletion_requests ADD COLUMN last_attempt_at TEXT;
        ALTER TABLE deletion_requests ADD COLUMN failure TEXT;
        ALTER TABLE deletion_requests ADD COLUMN updated_at TEXT;
      `);
    },
  },
];

/**
 * Applies the migrations this database lacks, all in one IMMEDIATE transaction,
 * so two processes starting on one file never apply the same migration twice.
 */
export function applyEmbeddedMigrations(db: Database, migrations: readonly EmbeddedMigration[] = EMBEDDED_MIGRATIONS): number[] {
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const run = db.transaction(() => {
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]));
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const newlyApplied: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      migration.up(db);
      record.run(migration.version, migration.name, new Date().toISOString());
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
  return run.immediate();
}

function assertOrdered(migrations: readonly EmbeddedMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`embedded migration "${migration.name}" must have version ${index + 1}`);
  });
}
