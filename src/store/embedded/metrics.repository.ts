import type { Database, Statement } from 'better-sqlite3';
import type { Environment } from '../connections.port';
import {
  DEFAULT_ROLLOUT,
  sameContract,
  type DefineMetric,
  type EnvironmentRolloutRecord,
  type MetricContract,
  type MetricDefinitionRecord,
  type MetricRepository,
  type MetricVersionRecord,
  type RolloutRecord,
} from '../metrics.port';

interface DefinitionRow {
  id: string;
  brand: string;
  key: string;
  version: number;
  rollout: string;
  created_at: string;
  updated_at: string;
  name: string;
  description: string | null;
  properties_schema: string;
  pii_fields: string;
}

const CURRENT = `SELECT d.*, v.name, v.description, v.properties_schema, v.pii_fields
  FROM metric_definitions d JOIN metric_versions v ON v.metric_id = d.id AND v.version = d.version`;

const contractOf = (row: Pick<DefinitionRow, 'name' | 'description' | 'properties_schema' | 'pii_fields'>): MetricContract => ({
  name: row.name,
  description: row.description,
  propertiesSchema: JSON.parse(row.properties_schema) as Record<string, unknown>,
  piiFields: JSON.parse(row.pii_fields) as string[],
});

const toRecord = (row: DefinitionRow): MetricDefinitionRecord => ({
  id: row.id,
  brand: row.brand,
  key: row.key,
  version: row.version,
  rollout: JSON.parse(row.rollout) as RolloutRecord,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  ...contractOf(row),
});

/** Metric definitions in SQLite: the current row and every version's contract beside it. */
export class EmbeddedMetricRepository implements MetricRepository {
  private readonly byKey: Statement;
  private readonly byId: Statement;

  constructor(private readonly db: Database) {
    this.byKey = db.prepare(`${CURRENT} WHERE d.brand = ? AND d.key = ?`);
    this.byId = db.prepare(`${CURRENT} WHERE d.brand = ? AND d.id = ?`);
  }

  async get(brand: string, key: string): Promise<MetricDefinitionRecord | null> {
    const row = this.byKey.get(brand, key) as DefinitionRow | undefined;
    return row ? toRecord(row) : null;
  }

  async getById(brand: string, id: string): Promise<MetricDefinitionRecord | null> {
    const row = this.byId.get(brand, id) as DefinitionRow | undefined;
    return row ? toRecord(row) : null;
  }

  async list(brand: string): Promise<MetricDefinitionRecord[]> {
    return (this.db.prepare(`${CURRENT} WHERE d.brand = ? ORDER BY d.key`).all(brand) as DefinitionRow[]).map(toRecord);
  }

  async define(brand: string, input: DefineMetric, newId: string, now: Date): Promise<MetricDefinitionRecord> {
    const at = now.toISOString();
    const insertVersion = this.db.prepare('INSERT INTO metric_versions (metric_id, version, name, description, properties_schema, pii_fields, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const write = this.db.transaction(() => {
      const current = this.db.prepare(`${CURRENT} WHERE d.brand = ? AND d.key = ?`).get(brand, input.key) as DefinitionRow | undefined;
      const { contract } = input;
      const versionArgs = [contract.name, contract.description, JSON.stringify(contract.propertiesSchema), JSON.stringify(contract.piiFields), at] as const;
      if (!current) {
        const rollout = { ...DEFAULT_ROLLOUT, ...input.rollout };
        this.db.prepare('INSERT INTO metric_definitions (id, brand, key, version, rollout, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)').run(newId, brand, input.key, JSON.stringify(rollout), at, at);
        insertVersion.run(newId, 1, ...versionArgs);
        return;
      }
      const changed = !sameContract(contractOf(current), contract);
      const rollout = { ...(JSON.parse(current.rollout) as RolloutRecord), ...input.rollout };
      const rolloutChanged = JSON.stringify(rollout) !== current.rollout;
      if (!changed && !rolloutChanged) return;
      if (changed) insertVersion.run(current.id, current.version + 1, ...versionArgs);
      this.db.prepare('UPDATE metric_definitions SET version = ?, rollout = ?, updated_at = ? WHERE id = ?').run(changed ? current.version + 1 : current.version, JSON.stringify(rollout), at, current.id);
    });
    write.immediate();
    return (await this.get(brand, input.key))!;
  }

  async setRollout(brand: string, key: string, environment: Environment, rollout: EnvironmentRolloutRecord, now: Date): Promise<MetricDefinitionRecord | null> {
    const update = this.db.transaction(() => {
      const row = this.db.prepare('SELECT rollout FROM metric_definitions WHERE brand = ? AND key = ?').get(brand, key) as { rollout: string } | undefined;
      if (!row) return false;
      const next = { ...(JSON.parse(row.rollout) as RolloutRecord), [environment]: rollout };
      this.db.prepare('UPDATE metric_definitions SET rollout = ?, updated_at = ? WHERE brand = ? AND key = ?').run(JSON.stringify(next), now.toISOString(), brand, key);
      return true;
    });
    return update.immediate() ? this.get(brand, key) : null;
  }

  async getVersion(brand: string, metricId: string, version: number): Promise<MetricVersionRecord | null> {
    const row = this.db
      .prepare('SELECT v.* FROM metric_versions v JOIN metric_definitions d ON d.id = v.metric_id WHERE d.brand = ? AND v.metric_id = ? AND v.version = ?')
      .get(brand, metricId, version) as (DefinitionRow & { metric_id: string }) | undefined;
    return row ? { metricId: row.metric_id, version: row.version, createdAt: new Date(row.created_at), ...contractOf(row) } : null;
  }
}
