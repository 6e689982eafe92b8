import type { ConnectionRecord } from '../store';

export type HealthState = 'HEALTHY' | 'IDLE' | 'AUTH_BROKEN' | 'PAYLOAD_ERRORS' | 'RATE_LIMITED' | 'UPSTREAM_ERRORS';

export interface ConnectionHealth {
  readonly state: HealthState;
  /** One sentence a person can act on. */
  readonly summary: string;
  readonly lastDeliveredAt: Date | null;
  readonly heldDeliveries: number;
}

/** Error codes whose meaning is "nothing can reach Klaviyo until a person acts". */
const AUTH_ERROR_SUMMARIES: Record<string, string> = {
  invalid_grant: 'Klaviyo refused the refresh token: reconnect the app',
  revoked: 'Klaviyo revoked the access: reconnect the app',
  api_key_refused: 'Klaviyo refused the private API key: connect a valid key or install the app',
  scope_missing: 'The connection lacks a scope Klaviyo requires: reconnect the app and grant every requested scope',
  vault_error: 'A stored secret of this connection failed authentication: reconnect the app',
};

/**
 * The connection-side part of health, from its state alone. The delivery
 * engine later adds what deliveries say (payload errors, rate limits, outages).
 */
export function connectionHealth(connection: ConnectionRecord): ConnectionHealth {
  const base = { lastDeliveredAt: null, heldDeliveries: 0 };
  const account = connection.klaviyoAccountId ? ` ${connection.klaviyoAccountId}${connection.klaviyoAccountName ? ` (${connection.klaviyoAccountName})` : ''}` : '';
  const sandboxWarning =
    connection.environment === 'SANDBOX' && connection.klaviyoTestAccount === false
      ? `; note: this SANDBOX connection is bound to Klaviyo account${account}, which is not a test account`
      : '';

  if (connection.configError) {
    return { ...base, state: 'AUTH_BROKEN', summary: `${connection.configError.message}${sandboxWarning}` };
  }
  switch (connection.status) {
    case 'NEEDS_REAUTH': {
      const code = connection.lastError?.code ?? 'revoked';
      return { ...base, state: 'AUTH_BROKEN', summary: `${AUTH_ERROR_SUMMARIES[code] ?? connection.lastError?.message ?? 'Klaviyo refused this connection: reconnect the app'}${sandboxWarning}` };
    }
    case 'PENDING':
      return {
        ...base,
        state: 'IDLE',
        summary: connection.lastError ? `Authorization did not complete (${connection.lastError.message}): start it again` : 'Authorization begun: waiting for someone to approve the app in Klaviyo',
      };
    case 'DISCONNECTED':
      return { ...base, state: 'IDLE', summary: 'Disconnected on purpose: connect again to send events' };
    case 'CONNECTED':
      if (connection.lastError && AUTH_ERROR_SUMMARIES[connection.lastError.code]) {
        return { ...base, state: 'AUTH_BROKEN', summary: `${AUTH_ERROR_SUMMARIES[connection.lastError.code]}${sandboxWarning}` };
      }
      return { ...base, state: 'HEALTHY', summary: `Connected to Klaviyo account${account}${sandboxWarning}` };
    default:
      return assertNever(connection.status);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown connection status ${String(value)}`);
}
