import type { IdentifierRecord, ProfileRecord, SignalRecord } from '../store';

/** Klaviyo's profile attribute for each identifier kind. */
const PROFILE_ATTRIBUTE: Record<IdentifierRecord['kind'], string> = {
  EMAIL: 'email',
  PHONE: 'phone_number',
  EXTERNAL_ID: 'external_id',
  ANONYMOUS_ID: 'anonymous_id',
  KLAVIYO_EXCHANGE_ID: '_kx',
};

export interface EventPayloadInput {
  readonly metricName: string;
  readonly signal: Pick<SignalRecord, 'properties' | 'occurredAt' | 'value' | 'valueCurrency' | 'idempotencyKey'>;
  /** The signal's own identifiers: its browser ids are sent even if the profile holds others. */
  readonly signalIdentifiers: readonly IdentifierRecord[];
  readonly profile: Pick<ProfileRecord, 'identifiers'>;
}

export type EventPayload = {
  data: { type: 'event'; attributes: Record<string, unknown> };
};

/**
 * The JSON:API `event` for POST /api/events, built once at intake and stored:
 * retries resend exactly this, so Klaviyo's unique_id dedupe holds. The
 * profile carries the person's strong identifiers (one of each kind) and the
 * browser identifiers this signal came with.
 */
export function buildEventPayload({ metricName, signal, signalIdentifiers, profile }: EventPayloadInput): EventPayload {
  const attributes: Record<string, string> = {};
  const strong = profile.identifiers.filter((i) => i.kind === 'EMAIL' || i.kind === 'PHONE' || i.kind === 'EXTERNAL_ID');
  for (const identifier of [...strong, ...signalIdentifiers]) {
    const key = PROFILE_ATTRIBUTE[identifier.kind];
    // The signal's own value of a kind wins over another one the profile holds.
    if (signalIdentifiers.some((i) => i.kind === identifier.kind) && !signalIdentifiers.includes(identifier)) continue;
    attributes[key] ??= identifier.value;
  }
  return {
    data: {
      type: 'event',
      attributes: {
        properties: signal.properties,
        time: signal.occurredAt.toISOString(),
        ...(signal.value === null ? {} : { value: signal.value }),
        ...(signal.valueCurrency === null ? {} : { value_currency: signal.valueCurrency }),
        unique_id: signal.idempotencyKey,
        metric: { data: { type: 'metric', attributes: { name: metricName } } },
        profile: { data: { type: 'profile', attributes } },
      },
    },
  };
}
