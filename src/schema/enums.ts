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
