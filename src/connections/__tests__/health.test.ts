import type { ConnectionRecord } from '../../store';
import { connectionHealth } from '../health';

const at = new Date('2026-12-04T12:00:00Z');
const base: ConnectionRecord = {
  id: 'c-1', brand: 'acme', environment: 'PRODUCTION', authMethod: 'OAUTH', status: 'CONNECTED',
  klaviyoAccountId: 'WBhXHN', klaviyoAccountName: 'Acme', klaviyoTestAccount: false, scopes: [],
  accessTokenIssuedAt: at, accessTokenExpiresAt: at, lastRefreshedAt: null, lastError: null, configError: null,
  credentials: { accessToken: 'x', refreshToken: 'y', apiKey: null }, tokenVersion: 1, createdAt: at, updatedAt: at,
};

describe('connectionHealth', () => {
  it.each<[string, Partial<ConnectionRecord>, string, string | RegExp]>([
    ['connected', {}, 'HEALTHY', 'Connected to Klaviyo account WBhXHN (Acme)'],
    ['refresh refused', { status: 'NEEDS_REAUTH', lastError: { code: 'invalid_grant', message: 'm', at } }, 'AUTH_BROKEN', 'Klaviyo refused the refresh token: reconnect the app'],
    ['key refused', { status: 'NEEDS_REAUTH', authMethod: 'API_KEY', lastError: { code: 'api_key_refused', message: 'm', at } }, 'AUTH_BROKEN', /private API key/],
    ['scope missing', { status: 'NEEDS_REAUTH', lastError: { code: 'scope_missing', message: 'm', at } }, 'AUTH_BROKEN', /scope/],
    ['a tampered secret', { lastError: { code: 'vault_error', message: 'm', at } }, 'AUTH_BROKEN', /failed authentication: reconnect/],
    ['client credentials refused', { configError: { code: 'invalid_client', message: 'Klaviyo refused the client (invalid_client)', at } }, 'AUTH_BROKEN', /invalid_client/],
    ['pending', { status: 'PENDING', klaviyoAccountId: null }, 'IDLE', /waiting for someone to approve/],
    ['pending after a refusal', { status: 'PENDING', lastError: { code: 'access_denied', message: 'the user declined', at } }, 'IDLE', 'Authorization did not complete (the user declined): start it again'],
    ['disconnected', { status: 'DISCONNECTED' }, 'IDLE', /Disconnected on purpose/],
    ['a sandbox on a real account', { environment: 'SANDBOX' }, 'HEALTHY', /SANDBOX connection is bound to Klaviyo account WBhXHN \(Acme\), which is not a test account/],
    ['a sandbox on a test account', { environment: 'SANDBOX', klaviyoTestAccount: true }, 'HEALTHY', 'Connected to Klaviyo account WBhXHN (Acme)'],
  ])('%s', (_case, overrides, state, summary) => {
    const health = connectionHealth({ ...base, ...overrides });
    expect(health.state).toBe(state);
    if (typeof summary === 'string') expect(health.summary).toBe(summary);
    else expect(health.summary).toMatch(summary);
    expect(health).toMatchObject({ heldDeliveries: 0, lastDeliveredAt: null });
  });
});

describe('connectionHealth from the last hour of deliveries', () => {
  const activity = (overrides: Partial<import('../../store').ConnectionActivity> = {}) => ({ held: 0, pending: 0, delivered: 0, lastDeliveredAt: null, failures: [], ...overrides });
  const metricName = (id: string) => (id === 'm-cart' ? 'Cart Abandonment' : 'Browse Abandonment');
  it.each<[string, Partial<ConnectionRecord>, ReturnType<typeof activity>, string, string | RegExp]>([
    ['no traffic', {}, activity(), 'IDLE', /nothing delivered in the last hour/],
    ['events accepted', {}, activity({ delivered: 120, lastDeliveredAt: at }), 'HEALTHY', 'Delivering to Klaviyo account WBhXHN (Acme): 120 events accepted in the last hour'],
    [
      'one metric refused',
      {},
      activity({ delivered: 118, failures: [{ status: 'FAILED', category: 'PAYLOAD', count: 2, detail: 'Metric names must be shorter than 128 characters.', metricId: 'm-cart' }] }),
      'PAYLOAD_ERRORS',
      'Events arrive (118 in the last hour), but Klaviyo refused 2 Cart Abandonment events: Metric names must be shorter than 128 characters.',
    ],
    ['throttled', {}, activity({ pending: 40, failures: [{ status: 'RETRYING', category: 'RATE_LIMIT', count: 40, detail: 'throttled', metricId: 'm-cart' }] }), 'RATE_LIMITED', /throttling/],
    ['an outage', {}, activity({ pending: 9, failures: [{ status: 'RETRYING', category: 'UPSTREAM', count: 9, detail: 'Service unavailable.', metricId: 'm-cart' }] }), 'UPSTREAM_ERRORS', /Service unavailable.*being retried/],
    ['auth broken beats everything', { status: 'NEEDS_REAUTH', lastError: { code: 'invalid_grant', message: 'm', at } }, activity({ held: 200, failures: [{ status: 'FAILED', category: 'PAYLOAD', count: 1, detail: 'x', metricId: 'm-cart' }] }), 'AUTH_BROKEN', 'Klaviyo refused the refresh token: reconnect the app'],
  ])('%s', (_case, overrides, evidence, state, summary) => {
    const health = connectionHealth({ ...base, ...overrides }, { activity: evidence, metricName });
    expect(health.state).toBe(state);
    if (typeof summary === 'string') expect(health.summary).toBe(summary);
    else expect(health.summary).toMatch(summary);
    expect(health.heldDeliveries).toBe(evidence.held);
  });
});
