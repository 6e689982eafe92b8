import type { Environment } from './connections.port';

/** The metric definitions aggregate: versioned data contracts per brand, with their rollout. */

export type RolloutMode = 'OFF' | 'SHADOW' | 'ON';

export interface EnvironmentRolloutRecord {
  readonly mode: RolloutMode;
  readonly percentage: number;
}

export type RolloutRecord = Readonly<Record<Environment, EnvironmentRolloutRecord>>;

/** The versioned part: what a signal is checked against and what is sent. */
export interface MetricContract {
  readonly name: string;
  readonly description: string | null;
  readonly propertiesSchema: Readonly<Record<string, unknown>>;
  readonly piiFields: readonly string[];
}

export interface MetricDefinitionRecord extends MetricContract {
  readonly id: string;
  readonly brand: string;
  readonly key: string;
  /** 1 at creation, +1 each time the contract changes. */
  readonly version: number;
  readonly rollout: RolloutRecord;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface MetricVersionRecord extends MetricContract {
  readonly metricId: string;
  readonly version: number;
  readonly createdAt: Date;
}

export interface DefineMetric {
  readonly key: string;
  readonly contract: MetricContract;
  /** Environments to set; the others keep theirs (OFF for a new metric). */
  readonly rollout: Partial<RolloutRecord>;
}

export interface MetricRepository {
  get(brand: string, key: string): Promise<MetricDefinitionRecord | null>;
  getById(brand: string, id: string): Promise<MetricDefinitionRecord | null>;
  list(brand: string): Promise<MetricDefinitionRecord[]>;
  /**
   * Creates the metric (version 1) or, when the contract differs from the
   * current one, stores it as version + 1; the same contract again changes
   * nothing but the rollout given. Atomic per metric.
   */
  define(brand: string, input: DefineMetric, newId: string, now: Date): Promise<MetricDefinitionRecord>;
  setRollout(brand: string, key: string, environment: Environment, rollout: EnvironmentRolloutRecord, now: Date): Promise<MetricDefinitionRecord | null>;
  /** A past or current version's contract (signals record the version they were checked against). */
  getVersion(brand: string, metricId: string, version: number): Promise<MetricVersionRecord | null>;
}

/** Contracts compare by content, whatever the key order of their JSON. */
export function sameContract(a: MetricContract, b: MetricContract): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const DEFAULT_ROLLOUT: RolloutRecord = Object.freeze({ SANDBOX: { mode: 'OFF', percentage: 100 }, PRODUCTION: { mode: 'OFF', percentage: 100 } });
