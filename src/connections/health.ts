import type { ConnectionActivity, ConnectionRecord } from '../store';

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

/** What deliveries of the last hour add: their activity, and the metric names failures belong to. */
export interface DeliveryEvidence {
  readonly activity: ConnectionActivity;
  readonly metricName: (metricId: string) => string;
}

/**
 * A connection's health in one state and one sentence: first whether it can
 * reach Klaviyo at all (auth), then what its deliveries of the last hour say.
 * This is the split ops people need: AUTH_BROKEN means nothing arrives on any
 * metric; PAYLOAD_ERRORS means events arrive and one metric misbehaves.
 */
export function connectionHealth(connection: ConnectionRecord, evidence?: DeliveryEvidence): ConnectionHealth {
  const base = { lastDeliveredAt: evidence?.activity.lastDeliveredAt ?? null, heldDeliveries: evidence?.activity.held ?? 0 };
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
      return deliveryHealth(base, account, sandboxWarning, evidence);
    default:
      return assertNever(connection.status);
  }
}

function deliveryHealth(base: Pick<ConnectionHealth, 'lastDeliveredAt' | 'heldDeliveries'>, account: string, sandboxWarning: string, evidence: DeliveryEvidence | undefined): ConnectionHealth {
  if (!evidence) return { ...base, state: 'HEALTHY', summary: `Connected to Klaviyo account${account}${sandboxWarning}` };
  const { activity, metricName } = evidence;
  const payload = activity.failures.filter((f) => f.status === 'FAILED' && f.category === 'PAYLOAD').sort((a, b) => b.count - a.count)[0];
  if (payload) {
    const arriving = activity.delivered > 0 ? `Events arrive (${activity.delivered} in the last hour), but` : 'In the last hour';
    const what = payload.metricId ? `${metricName(payload.metricId)} event${payload.count > 1 ? 's' : ''}` : `profile update${payload.count > 1 ? 's' : ''}`;
    return { ...base, state: 'PAYLOAD_ERRORS', summary: `${arriving} Klaviyo refused ${payload.count} ${what}: ${payload.detail}${sandboxWarning}` };
  }
  const throttled = activity.failures.find((f) => f.status === 'RETRYING' && f.category === 'RATE_LIMIT');
  if (throttled) return { ...base, state: 'RATE_LIMITED', summary: `Klaviyo is throttling this account: ${throttled.count} deliveries wait for their turn${sandboxWarning}` };
  const outage = activity.failures.filter((f) => f.category === 'UPSTREAM' || f.category === 'NETWORK').sort((a, b) => b.count - a.count)[0];
  if (outage) return { ...base, state: 'UPSTREAM_ERRORS', summary: `Klaviyo is failing or unreachable (${outage.detail}): ${outage.count} deliveries ${outage.status === 'RETRYING' ? 'are being retried' : 'gave up'}${sandboxWarning}` };
  if (activity.delivered === 0 && activity.pending === 0) return { ...base, state: 'IDLE', summary: `Connected to Klaviyo account${account}; nothing delivered in the last hour${sandboxWarning}` };
  return { ...base, state: 'HEALTHY', summary: `Delivering to Klaviyo account${account}: ${activity.delivered} events accepted in the last hour${sandboxWarning}` };
}

function assertNever(value: never): never {
  throw new Error(`unknown connection status ${String(value)}`);
}
