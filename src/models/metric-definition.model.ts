import { Schema, type Connection, type Model } from 'mongoose';

export interface MetricVersionDoc {
  version: number;
  name: string;
  description: string | null;
  propertiesSchema: Record<string, unknown>;
  piiFields: string[];
  createdAt: Date;
}

/**
 * A brand's metric definition with every version of its contract embedded,
 * so a new version and the pointer to it change in one atomic update.
 */
export interface MetricDefinitionDoc {
  _id: string;
  brand: string;
  key: string;
  version: number;
  rollout: Record<'SANDBOX' | 'PRODUCTION', { mode: 'OFF' | 'SHADOW' | 'ON'; percentage: number }>;
  versions: MetricVersionDoc[];
  createdAt: Date;
  updatedAt: Date;
}

const versionSchema = new Schema<MetricVersionDoc>(
  {
    version: { type: Number, required: true },
    name: { type: String, required: true },
    description: { type: String, default: null },
    propertiesSchema: { type: Schema.Types.Mixed, required: true },
    piiFields: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
  },
  { _id: false, minimize: false },
);

export const metricDefinitionSchema = new Schema<MetricDefinitionDoc>(
  {
    _id: { type: String, required: true },
    brand: { type: String, required: true },
    key: { type: String, required: true },
    version: { type: Number, required: true },
    rollout: { type: Schema.Types.Mixed, required: true },
    versions: { type: [versionSchema], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'metric_definitions', versionKey: false, minimize: false },
);
metricDefinitionSchema.index({ brand: 1, key: 1 }, { unique: true });

export type MetricDefinitionModel = Model<MetricDefinitionDoc>;

export function metricDefinitionModel(connection: Connection): MetricDefinitionModel {
  return connection.models.MetricDefinition ?? connection.model<MetricDefinitionDoc>('MetricDefinition', metricDefinitionSchema);
}
