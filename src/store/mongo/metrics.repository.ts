import type { MetricDefinitionDoc, MetricVersionDoc, Models } from '../../models';
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
} from '../metrics.port';

const DUPLICATE_KEY = 11000;
const MAX_ATTEMPTS = 8;

const contractOf = (version: MetricVersionDoc): MetricContract => ({
  name: version.name,
  description: version.description ?? null,
  propertiesSchema: version.propertiesSchema,
  piiFields: version.piiFields ?? [],
});

function toRecord(doc: MetricDefinitionDoc): MetricDefinitionRecord {
  const current = doc.versions.find((v) => v.version === doc.version);
  if (!current) throw new Error(`metric ${doc._id} has no version ${doc.version}`);
  return { id: doc._id, brand: doc.brand, key: doc.key, version: doc.version, rollout: doc.rollout, createdAt: doc.createdAt, updatedAt: doc.updatedAt, ...contractOf(current) };
}

/** Metric definitions in MongoDB: each version is pushed in the same atomic update that advances `version`. */
export class MongoMetricRepository implements MetricRepository {
  constructor(private readonly models: Models) {}

  async get(brand: string, key: string): Promise<MetricDefinitionRecord | null> {
    const doc = await this.models.MetricDefinition.findOne({ brand, key }).lean<MetricDefinitionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async getById(brand: string, id: string): Promise<MetricDefinitionRecord | null> {
    const doc = await this.models.MetricDefinition.findOne({ brand, _id: id }).lean<MetricDefinitionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async list(brand: string): Promise<MetricDefinitionRecord[]> {
    return (await this.models.MetricDefinition.find({ brand }).sort({ key: 1 }).lean<MetricDefinitionDoc[]>()).map(toRecord);
  }

  async define(brand: string, input: DefineMetric, newId: string, now: Date): Promise<MetricDefinitionRecord> {
    const versionDoc = (version: number): MetricVersionDoc => ({ version, ...input.contract, propertiesSchema: { ...input.contract.propertiesSchema }, piiFields: [...input.contract.piiFields], createdAt: now });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current = await this.models.MetricDefinition.findOne({ brand, key: input.key }).lean<MetricDefinitionDoc>();
      if (!current) {
        try {
          await this.models.MetricDefinition.create({ _id: newId, brand, key: input.key, version: 1, rollout: { ...DEFAULT_ROLLOUT, ...input.rollout }, versions: [versionDoc(1)], createdAt: now, updatedAt: now });
          return (await this.get(brand, input.key))!;
        } catch (error) {
          if ((error as { code?: number }).code === DUPLICATE_KEY) continue; // defined concurrently: compare with theirs
          throw error;
        }
      }
      const record = toRecord(current);
      const changed = !sameContract(record, input.contract);
      const rollout = { ...current.rollout, ...input.rollout };
      if (!changed && JSON.stringify(rollout) === JSON.stringify(current.rollout)) return record;
      const update = changed
        ? { $set: { rollout, updatedAt: now, version: current.version + 1 }, $push: { versions: versionDoc(current.version + 1) } }
        : { $set: { rollout, updatedAt: now } };
      // Compare-and-set on the version: a concurrent define makes this match nothing, and we look again.
      const result = await this.models.MetricDefinition.updateOne({ _id: current._id, version: current.version }, update);
      if (result.modifiedCount === 1) return (await this.get(brand, input.key))!;
    }
    throw new Error(`metric ${input.key} kept changing while being defined`);
  }

  async setRollout(brand: string, key: string, environment: Environment, rollout: EnvironmentRolloutRecord, now: Date): Promise<MetricDefinitionRecord | null> {
    const doc = await this.models.MetricDefinition.findOneAndUpdate({ brand, key }, { $set: { [`rollout.${environment}`]: rollout, updatedAt: now } }, { new: true }).lean<MetricDefinitionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async getVersion(brand: string, metricId: string, version: number): Promise<MetricVersionRecord | null> {
    const doc = await this.models.MetricDefinition.findOne({ brand, _id: metricId }, { versions: { $elemMatch: { version } } }).lean<Pick<MetricDefinitionDoc, '_id' | 'versions'>>();
    const found = doc?.versions?.[0];
    return found ? { metricId, version: found.version, createdAt: found.createdAt, ...contractOf(found) } : null;
  }
}
