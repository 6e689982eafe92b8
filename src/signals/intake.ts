import { randomUUID } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from 'pino';
import type { ConnectionService } from '../connections';
import { KlaviyoSchemaValidator } from '../datasources/klaviyo';
import { buildProfileImportPayload, identifiesSomeone } from '../delivery';
import { normalizeIdentity, planResolution, type IdentityInput } from '../identity';
import { sortableId } from '../ids';
import { BadUserInputError, ErrorCode, GatewayError } from '../schema/errors';
import { IntakeItemRefused, type DeliveryTarget, type IntakeItem, type MetricDefinitionRecord, type ProfileRecord, type SignalRecord, type Store } from '../store';
import { IntakeBatcher } from './intake-batcher';
import { intakeRules } from './intake-rules';
import type { MetricDefinitionService } from './metric-definitions';
import { ENVIRONMENTS } from './rollout';
import { checkSignal, isProblem, type InputProblem, type SignalInput } from './signal-input';

export const MAX_SIGNALS_PER_CALL = 500;

export interface RecordedSignal {
  readonly signal: SignalRecord;
  readonly duplicate: boolean;
}

export interface SignalError {
  readonly index: number;
  readonly code: string;
  readonly field: string | null;
  readonly message: string;
}

export interface BatchOutcome {
  readonly accepted: number;
  readonly duplicates: number;
  /** Accepted and duplicate signals, in input order. */
  readonly signals: SignalRecord[];
  readonly errors: SignalError[];
}

export interface IntakeDependencies {
  readonly store: Pick<Store, 'intake'>;
  /** Where deliveries can go: the brand's live connections. */
  readonly connections: Pick<ConnectionService, 'liveConnections'>;
  readonly metrics: MetricDefinitionService;
  readonly defaultPhoneRegion: CountryCode;
  readonly logger: Logger;
  readonly now?: () => Date;
}

type Outcome = RecordedSignal | { problem: InputProblem };

/**
 * Signal intake: check each signal against its metric's contract, resolve who
 * it is, and write the signal with its deliveries (one per environment whose
 * connection exists and whose rollout applies) in one transaction.
 */
export class SignalIntake {
  private readonly batcher: IntakeBatcher;
  private readonly validator = new KlaviyoSchemaValidator();
  private readonly now: () => Date;

  constructor(private readonly deps: IntakeDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.batcher = new IntakeBatcher(deps.store.intake, intakeRules());
  }

  async recordSignal(brand: string, input: SignalInput): Promise<RecordedSignal> {
    const [outcome] = await this.record(brand, [input]);
    if (!outcome || 'problem' in outcome) {
      const field = outcome?.problem.field ? `input.${outcome.problem.field}` : 'input';
      throw new BadUserInputError(field, outcome?.problem.message ?? 'The signal was not recorded');
    }
    return outcome;
  }

  async recordSignals(brand: string, inputs: readonly SignalInput[]): Promise<BatchOutcome> {
    if (inputs.length > MAX_SIGNALS_PER_CALL) {
      throw new BadUserInputError('inputs', `At most ${MAX_SIGNALS_PER_CALL} signals per call; send these ${inputs.length} in ${Math.ceil(inputs.length / MAX_SIGNALS_PER_CALL)} calls`);
    }
    const outcomes = await this.record(brand, inputs);
    const signals: SignalRecord[] = [];
    const errors: SignalError[] = [];
    let duplicates = 0;
    outcomes.forEach((outcome, index) => {
      if ('problem' in outcome) {
        errors.push({ index, code: 'BAD_USER_INPUT', field: outcome.problem.field || null, message: outcome.problem.message });
        return;
      }
      signals.push(outcome.signal);
      if (outcome.duplicate) duplicates += 1;
    });
    return { accepted: signals.length - duplicates, duplicates, signals, errors };
  }

  async identify(brand: string, identity: IdentityInput, attributes: Record<string, unknown> | null): Promise<ProfileRecord> {
    const identifiers = this.identifiersOf(identity);
    if (attributes && Buffer.byteLength(JSON.stringify(attributes)) > 100 * 1024) throw new BadUserInputError('attributes', "Profile attributes may be at most 100 KB (Klaviyo's profile limit)");
    const connections = await this.deps.connections.liveConnections(brand);
    return this.deps.store.intake.identify(
      {
        brand,
        identifiers,
        attributes,
        newProfileId: randomUUID(),
        now: this.now(),
        // Enrichment: what identify learned goes to each connected Klaviyo account as a profile-import.
        profileImports: (profile, changed) => {
          if (!changed || connections.length === 0) return [];
          const payload = buildProfileImportPayload(profile);
          if (!identifiesSomeone(payload)) return []; // only browser ids: Klaviyo learns them from events
          const [violation] = this.validator.validate('create_or_update_profile', payload);
          if (violation) throw new BadUserInputError('attributes', `Klaviyo would refuse this profile (${violation.pointer}: ${violation.message})`);
          return connections.map((c) => ({ id: sortableId(), connectionId: c.id, environment: c.environment, payload }));
        },
      },
      { planIdentity: planResolution },
    );
  }

  /** Erases the profile and its personal data; NOT_FOUND for an unknown (or another brand's) id. */
  async forgetProfile(brand: string, profileId: string): Promise<boolean> {
    const forgotten = await this.deps.store.intake.forgetProfile(brand, profileId, () => randomUUID(), this.now());
    if (!forgotten) throw new GatewayError(ErrorCode.NOT_FOUND, `No profile ${profileId}`);
    this.deps.logger.info({ brand, profileId }, 'profile forgotten');
    return true;
  }

  /** The profile these identifiers name, without creating or merging anything. */
  async lookupProfile(brand: string, identity: IdentityInput): Promise<ProfileRecord | null> {
    return this.deps.store.intake.findProfileByIdentifiers(brand, this.identifiersOf(identity));
  }

  /** Normalized identifiers of an `identity` argument, or BAD_USER_INPUT naming the field. */
  private identifiersOf(identity: IdentityInput) {
    const identifiers = normalizeIdentity(identity, this.deps.defaultPhoneRegion);
    if (!Array.isArray(identifiers)) throw new BadUserInputError(identifiers.field ? `identity.${identifiers.field}` : 'identity', identifiers.message);
    return identifiers;
  }

  private async record(brand: string, inputs: readonly SignalInput[]): Promise<Outcome[]> {
    const now = this.now();
    const metricLookups = new Map<string, Promise<MetricDefinitionRecord | null>>();
    const metricOf = (key: string) => {
      let lookup = metricLookups.get(key);
      if (!lookup) metricLookups.set(key, (lookup = this.deps.metrics.current(brand, key)));
      return lookup;
    };
    const [live, checked] = await Promise.all([
      this.deps.connections.liveConnections(brand),
      Promise.all(inputs.map(async (input) => checkSignal(input, await metricOf(input.metric), (m) => this.deps.metrics.contractOf(m), { defaultPhoneRegion: this.deps.defaultPhoneRegion, now }))),
    ]);

    const outcomes: Outcome[] = [];
    const items: IntakeItem[] = [];
    const positions: number[] = [];
    checked.forEach((check, index) => {
      if (isProblem(check)) {
        outcomes[index] = { problem: check };
        return;
      }
      const input = inputs[index]!;
      const targets: DeliveryTarget[] = ENVIRONMENTS.flatMap((environment) => {
        const connection = live.find((c) => c.environment === environment);
        const rollout = check.metric.rollout[environment];
        return connection && rollout.mode !== 'OFF' ? [{ connectionId: connection.id, environment, ...rollout }] : [];
      });
      items.push({
        signal: {
          id: sortableId(),
          brand,
          metricId: check.metric.id,
          metricKey: check.metric.key,
          metricVersion: check.metric.version,
          occurredAt: check.occurredAt,
          receivedAt: now,
          properties: input.properties,
          value: input.value ?? null,
          valueCurrency: input.valueCurrency ?? null,
          // Klaviyo dedupes on unique_id per profile and metric: a gateway key keeps retries safe too.
          idempotencyKey: check.idempotencyKey ?? `gw_${randomUUID()}`,
        },
        propertiesJson: check.propertiesJson,
        identifiers: check.identifiers,
        newProfileId: sortableId(),
        metricName: check.metric.name,
        deliveryTargets: targets,
      });
      positions.push(index);
    });

    const stored = items.length > 0 ? await this.batcher.record(items) : [];
    stored.forEach((result, position) => {
      const index = positions[position]!;
      if (result.ok) {
        outcomes[index] = { signal: result.signal, duplicate: result.duplicate };
      } else if (result.error instanceof IntakeItemRefused) {
        outcomes[index] = { problem: { field: result.error.field, message: result.error.message } };
      } else {
        this.deps.logger.error({ err: result.error }, 'a signal could not be stored');
        throw result.error;
      }
    });
    return outcomes;
  }
}
