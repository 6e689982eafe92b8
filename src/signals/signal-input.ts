import type { CountryCode } from 'libphonenumber-js';
import { normalizeIdentity, type Identifier, type IdentityInput } from '../identity';
import type { MetricDefinitionRecord } from '../store';
import type { PropertiesContract } from './properties-schema';

/** The GraphQL `SignalInput`. */
export interface SignalInput {
  readonly metric: string;
  readonly identity: IdentityInput;
  readonly properties: Record<string, unknown>;
  readonly occurredAt?: Date | null;
  readonly value?: number | null;
  readonly valueCurrency?: string | null;
  readonly idempotencyKey?: string | null;
}

/** A problem with one input: the path inside it (e.g. "identity.email", "properties.Items.0.Price") and why. */
export interface InputProblem {
  readonly field: string;
  readonly message: string;
  readonly code?: 'BAD_USER_INPUT';
}

export interface CheckedSignal {
  readonly metric: MetricDefinitionRecord;
  readonly identifiers: Identifier[];
  readonly occurredAt: Date;
  readonly idempotencyKey: string | null;
  /** The properties as JSON, as the size check made it. */
  readonly propertiesJson: string;
}

/** Klaviyo's event limits (klaviyo.md §3) and ours. */
export const SIGNAL_LIMITS = {
  maxTopLevelProperties: 400,
  maxStringBytes: 100 * 1024,
  maxSignalBytes: 1024 * 1024,
  maxIdempotencyKeyLength: 255,
  earliestOccurredAt: Date.UTC(1990, 0, 1),
  maxFutureMs: 365 * 24 * 3600 * 1000,
} as const;

/**
 * Checks one signal against its metric's contract and Klaviyo's limits, in a
 * fixed order so the first problem reported is the most useful one.
 */
export function checkSignal(
  input: SignalInput,
  metric: MetricDefinitionRecord | null,
  contract: (metric: MetricDefinitionRecord) => PropertiesContract,
  { defaultPhoneRegion, now }: { defaultPhoneRegion: CountryCode; now: Date },
): CheckedSignal | InputProblem {
  if (!metric) return { field: 'metric', message: `Unknown metric "${input.metric}": define it with defineMetric (or installStandardMetrics) first` };
  const identifiers = normalizeIdentity(input.identity, defaultPhoneRegion);
  if (!Array.isArray(identifiers)) return { field: identifiers.field ? `identity.${identifiers.field}` : 'identity', message: identifiers.message };

  const properties = input.properties;
  if (Object.keys(properties).length > SIGNAL_LIMITS.maxTopLevelProperties) {
    return { field: 'properties', message: `A signal may have at most ${SIGNAL_LIMITS.maxTopLevelProperties} top-level properties (Klaviyo's limit)` };
  }
  const propertiesJson = JSON.stringify(properties);
  const size = Buffer.byteLength(propertiesJson);
  // No string can pass 100 KB inside a document smaller than that: walk only big ones.
  const longString = size > SIGNAL_LIMITS.maxStringBytes ? findLongString(properties, 'properties') : undefined;
  if (longString) return { field: longString, message: `Strings may be at most ${SIGNAL_LIMITS.maxStringBytes / 1024} KB (Klaviyo's limit)` };
  if (size > SIGNAL_LIMITS.maxSignalBytes) return { field: 'properties', message: 'A signal may be at most 1 MB' };
  const violation = contract(metric).validate(properties);
  if (violation) return { field: violation.path ? `properties.${violation.path}` : 'properties', message: `${violation.path || 'properties'} ${violation.message} (metric "${metric.key}" version ${metric.version})` };

  const occurredAt = input.occurredAt ?? now;
  if (Number.isNaN(occurredAt.getTime()) || occurredAt.getTime() < SIGNAL_LIMITS.earliestOccurredAt) return { field: 'occurredAt', message: 'occurredAt must be after 1990-01-01 (Klaviyo refuses older events)' };
  if (occurredAt.getTime() > now.getTime() + SIGNAL_LIMITS.maxFutureMs) return { field: 'occurredAt', message: 'occurredAt may be at most one year ahead' };
  if (input.value !== undefined && input.value !== null && !Number.isFinite(input.value)) return { field: 'value', message: 'value must be a finite number' };
  if (input.valueCurrency !== undefined && input.valueCurrency !== null && !/^[A-Z]{3}$/.test(input.valueCurrency)) {
    return { field: 'valueCurrency', message: 'valueCurrency is an ISO 4217 code in capitals, e.g. USD' };
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > SIGNAL_LIMITS.maxIdempotencyKeyLength)) {
    return { field: 'idempotencyKey', message: `idempotencyKey is 1 to ${SIGNAL_LIMITS.maxIdempotencyKeyLength} characters` };
  }
  return { metric, identifiers, occurredAt, idempotencyKey: key, propertiesJson };
}

function findLongString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return Buffer.byteLength(value) > SIGNAL_LIMITS.maxStringBytes ? path : undefined;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findLongString(child, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

export const isProblem = (value: CheckedSignal | InputProblem): value is InputProblem => 'field' in value;
