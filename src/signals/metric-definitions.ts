import { randomUUID } from 'node:crypto';
import { BadUserInputError, ErrorCode, GatewayError } from '../schema/errors';
import type { EnvironmentRolloutRecord, MetricDefinitionRecord, MetricRepository, RolloutRecord } from '../store';
import { checkPiiPointers, PropertiesContract } from './properties-schema';
import { ENVIRONMENTS, type Environment, type RolloutMode } from './rollout';
import { STANDARD_METRICS } from './standard-metrics';

export interface RolloutInput {
  readonly environment: Environment;
  readonly mode: RolloutMode;
  readonly percentage?: number | null;
}

export interface MetricDefinitionInput {
  readonly key: string;
  readonly name: string;
  readonly description?: string | null;
  readonly propertiesSchema: Record<string, unknown>;
  readonly piiFields?: readonly string[] | null;
  readonly rollout?: readonly RolloutInput[] | null;
}

const KEY = /^[a-z][a-z0-9_]{0,63}$/;
/** Klaviyo refuses metric names of 128 characters or more. */
const MAX_NAME_LENGTH = 127;
const CONTRACT_CACHE_SIZE = 1000;
/**
 * How long a definition read by intake may be reused. Changes made through
 * this process apply at once; another instance's change within this long.
 */
const DEFINITION_TTL_MS = 5000;

/**
 * Metric definitions are data contracts: `defineMetric` checks a schema and
 * stores it as a new version only when it changed; signals are checked against
 * the version current when they arrive, compiled once per version.
 */
export class MetricDefinitionService {
  private readonly contracts = new Map<string, PropertiesContract>();
  private readonly definitions = new Map<string, { at: number; value: Promise<MetricDefinitionRecord | null> }>();

  constructor(
    private readonly metrics: MetricRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(brand: string): Promise<MetricDefinitionRecord[]> {
    return this.metrics.list(brand);
  }

  get(brand: string, key: string): Promise<MetricDefinitionRecord | null> {
    return this.metrics.get(brand, key);
  }

  /** The definition intake checks signals against: read through a short cache, the hot path's one metric read. */
  current(brand: string, key: string): Promise<MetricDefinitionRecord | null> {
    const cacheKey = `${brand}\u0000${key}`;
    const cached = this.definitions.get(cacheKey);
    if (cached && Date.now() - cached.at < DEFINITION_TTL_MS) return cached.value;
    const value = this.metrics.get(brand, key);
    if (this.definitions.size >= CONTRACT_CACHE_SIZE) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(cacheKey, { at: Date.now(), value });
    value.catch(() => this.definitions.delete(cacheKey));
    return value;
  }

  private forget(brand: string, key: string): void {
    this.definitions.delete(`${brand}\u0000${key}`);
  }

  async define(brand: string, input: MetricDefinitionInput, field = 'input'): Promise<MetricDefinitionRecord> {
    if (!KEY.test(input.key)) throw new BadUserInputError(`${field}.key`, 'A metric key is 1-64 lower-case letters, digits or "_", starting with a letter (e.g. "cart_abandonment")');
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw new BadUserInputError(`${field}.name`, `A Klaviyo metric name is 1 to ${MAX_NAME_LENGTH} characters`);
    const compiled = PropertiesContract.compile(input.propertiesSchema);
    if (Array.isArray(compiled)) {
      const [problem] = compiled;
      throw new BadUserInputError(`${field}.propertiesSchema`, `The properties schema is not a usable JSON Schema (draft 2020-12)${problem?.at ? ` at ${problem.at}` : ''}: ${problem?.message}`);
    }
    const piiFields = [...new Set(input.piiFields ?? [])];
    const [piiProblem] = checkPiiPointers(input.propertiesSchema, piiFields);
    if (piiProblem) throw new BadUserInputError(`${field}.piiFields.${piiProblem.at.slice(1)}`, piiProblem.message);
    const rollout = this.rolloutOf(input.rollout ?? [], `${field}.rollout`);
    const defined = await this.metrics.define(
      brand,
      { key: input.key, contract: { name, description: input.description?.trim() || null, propertiesSchema: input.propertiesSchema, piiFields }, rollout },
      randomUUID(),
      this.now(),
    );
    this.forget(brand, input.key);
    return defined;
  }

  async setRollout(brand: string, key: string, input: RolloutInput): Promise<MetricDefinitionRecord> {
    const rollout = this.rolloutOf([input], 'rollout');
    const updated = await this.metrics.setRollout(brand, key, input.environment, rollout[input.environment]!, this.now());
    this.forget(brand, key);
    if (!updated) throw new GatewayError(ErrorCode.NOT_FOUND, `No metric definition "${key}"`);
    return updated;
  }

  /** Defines the five standard signals for the brand; their rollouts stay as they are (OFF when new). */
  async installStandard(brand: string): Promise<MetricDefinitionRecord[]> {
    const installed: MetricDefinitionRecord[] = [];
    for (const standard of STANDARD_METRICS) {
      installed.push(await this.metrics.define(brand, { key: standard.key, contract: standard.contract, rollout: {} }, randomUUID(), this.now()));
      this.forget(brand, standard.key);
    }
    return installed;
  }

  /** The compiled contract for one version of a metric, from cache after the first use. */
  contractOf(metric: Pick<MetricDefinitionRecord, 'id' | 'version' | 'propertiesSchema'>): PropertiesContract {
    const cacheKey = `${metric.id}@${metric.version}`;
    let contract = this.contracts.get(cacheKey);
    if (!contract) {
      const compiled = PropertiesContract.compile(metric.propertiesSchema as Record<string, unknown>);
      if (Array.isArray(compiled)) throw new Error(`stored schema of ${cacheKey} no longer compiles: ${compiled[0]?.message}`);
      contract = compiled;
      if (this.contracts.size >= CONTRACT_CACHE_SIZE) this.contracts.delete(this.contracts.keys().next().value!);
      this.contracts.set(cacheKey, contract);
    }
    return contract;
  }

  private rolloutOf(inputs: readonly RolloutInput[], field: string): Partial<Record<Environment, EnvironmentRolloutRecord>> {
    const rollout: Partial<Record<Environment, EnvironmentRolloutRecord>> = {};
    inputs.forEach((input, index) => {
      const at = inputs.length === 1 && field === 'rollout' ? field : `${field}.${index}`;
      if (!ENVIRONMENTS.includes(input.environment)) throw new BadUserInputError(`${at}.environment`, `Unknown environment ${input.environment}`);
      if (rollout[input.environment]) throw new BadUserInputError(`${at}.environment`, `${input.environment} appears twice`);
      const percentage = input.percentage ?? 100;
      if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) throw new BadUserInputError(`${at}.percentage`, 'The percentage is a whole number from 0 to 100');
      rollout[input.environment] = { mode: input.mode, percentage };
    });
    return rollout;
  }
}

/** The rollout as the contract lists it: one entry per environment, in enum order. */
export function rolloutEntries(rollout: RolloutRecord): Array<{ environment: Environment } & EnvironmentRolloutRecord> {
  return ENVIRONMENTS.map((environment) => ({ environment, ...rollout[environment] }));
}
