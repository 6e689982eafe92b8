import { registerEnumType } from 'type-graphql';

/** GraphQL enums of the contract, as plain objects whose values are the wire names. */

export const Environment = { SANDBOX: 'SANDBOX', PRODUCTION: 'PRODUCTION' } as const;
registerEnumType(Environment, { name: 'Environment' });

export const AuthMethod = { OAUTH: 'OAUTH', API_KEY: 'API_KEY' } as const;
registerEnumType(AuthMethod, { name: 'AuthMethod' });

export const ConnectionStatus = {
  PENDING: 'PENDING',
  CONNECTED: 'CONNECTED',
  NEEDS_REAUTH: 'NEEDS_REAUTH',
  DISCONNECTED: 'DISCONNECTED',
} as const;
registerEnumType(ConnectionStatus, {
  name: 'ConnectionStatus',
  valuesConfig: {
    PENDING: { description: 'authorization begun, not completed' },
    NEEDS_REAUTH: { description: 'refresh failed (invalid_grant), token revoked or scope missing: a person must reconnect' },
    DISCONNECTED: { description: 'disconnected on purpose through `disconnect`' },
  },
});

export const HealthState = {
  HEALTHY: 'HEALTHY',
  IDLE: 'IDLE',
  AUTH_BROKEN: 'AUTH_BROKEN',
  PAYLOAD_ERRORS: 'PAYLOAD_ERRORS',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_ERRORS: 'UPSTREAM_ERRORS',
} as const;
registerEnumType(HealthState, { name: 'HealthState' });

export const RolloutMode = { OFF: 'OFF', SHADOW: 'SHADOW', ON: 'ON' } as const;
registerEnumType(RolloutMode, {
  name: 'RolloutMode',
  valuesConfig: {
    OFF: { description: 'signals of this metric are accepted and stored, nothing is sent' },
    SHADOW: { description: 'the Klaviyo payload is built, validated and stored, but not sent' },
    ON: { description: 'delivered to Klaviyo' },
  },
});

export const IdentifierKind = { ANONYMOUS_ID: 'ANONYMOUS_ID', EMAIL: 'EMAIL', PHONE: 'PHONE', EXTERNAL_ID: 'EXTERNAL_ID', KLAVIYO_EXCHANGE_ID: 'KLAVIYO_EXCHANGE_ID' } as const;
registerEnumType(IdentifierKind, { name: 'IdentifierKind' });

export const DeliveryStatus = {
  QUEUED: 'QUEUED',
  DELIVERING: 'DELIVERING',
  DELIVERED: 'DELIVERED',
  RETRYING: 'RETRYING',
  HELD: 'HELD',
  FAILED: 'FAILED',
  SHADOWED: 'SHADOWED',
  CANCELLED: 'CANCELLED',
} as const;
registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  valuesConfig: {
    QUEUED: { description: 'waiting for its first attempt' },
    DELIVERING: { description: 'an attempt is in flight' },
    DELIVERED: { description: 'Klaviyo accepted it (202)' },
    RETRYING: { description: 'a retryable failure; nextAttemptAt says when' },
    HELD: { description: "the connection's auth is broken; resumes by itself after reconnection" },
    FAILED: { description: 'final: Klaviyo rejected the payload, or the retry window ran out' },
    SHADOWED: { description: 'rollout SHADOW: built and validated, deliberately not sent' },
    CANCELLED: { description: 'final: its profile was forgotten (forgetProfile) before it was sent' },
  },
});

export const FailureCategory = { AUTH: 'AUTH', SCOPE: 'SCOPE', PAYLOAD: 'PAYLOAD', RATE_LIMIT: 'RATE_LIMIT', UPSTREAM: 'UPSTREAM', NETWORK: 'NETWORK' } as const;
registerEnumType(FailureCategory, {
  name: 'FailureCategory',
  valuesConfig: {
    AUTH: { description: '401, invalid_grant, revoked token' },
    SCOPE: { description: '403, a scope the connection lacks' },
    PAYLOAD: { description: '400/409/413/415/422: Klaviyo rejected this event; not retried' },
    RATE_LIMIT: { description: '429' },
    UPSTREAM: { description: '5xx, 408' },
    NETWORK: { description: 'timeout, reset, refused' },
  },
});
