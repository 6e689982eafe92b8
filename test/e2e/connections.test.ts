import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Scope } from '../../src/auth';
import { EmbeddedStore } from '../../src/store';
import {
  BeginKlaviyoAuthorizationDocument,
  CompleteKlaviyoAuthorizationDocument,
  ConnectionDocument,
  ConnectionsDocument,
  ConnectKlaviyoApiKeyDocument,
  DisconnectDocument,
  VerifyConnectionDocument,
  type Environment,
} from '../generated/graphql';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { startGatewayWithKlaviyo, type KlaviyoEnvironment } from '../support/klaviyo-gateway';

const API_KEY = 'pk_canary_private_key_0123456789';

describe('Klaviyo connections (against the fake Klaviyo)', () => {
  let env: KlaviyoEnvironment;
  let token: string;
  /** Every GraphQL answer, as text, to search for leaked secrets. */
  const answers: string[] = [];

  const gql = async <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables?: V, as = token) => {
    const response = await graphqlRequest<T, V>(env.gateway.url, document, { token: as, variables });
    answers.push(JSON.stringify(response));
    return response;
  };
  const db = () => (env.gateway.store as EmbeddedStore).database;

  /** What a person does: begin in the tool, follow the authorize URL, consent, land on the gateway's callback. */
  async function installThroughBrowser(environment: Environment = 'PRODUCTION') {
    const begin = await gql(BeginKlaviyoAuthorizationDocument, { environment });
    const { authorizeUrl, state } = begin.data!.beginKlaviyoAuthorization;
    const consent = await fetch(authorizeUrl, { redirect: 'manual' });
    const location = consent.headers.get('location')!;
    const callback = await fetch(location);
    const html = await callback.text();
    answers.push(html);
    return { authorizeUrl: new URL(authorizeUrl), state, consentStatus: consent.status, location: new URL(location), status: callback.status, html };
  }

  beforeEach(async () => {
    env = await startGatewayWithKlaviyo({ env: { LOG_LEVEL: 'debug' }, fake: { accounts: [{ id: 'WBhXHN', organizationName: 'Acme Store', testAccount: false }] } });
    env.fake.addApiKey(API_KEY);
    token = env.gateway.token({ brand: 'acme', scopes: [Scope.ConnectionsWrite, Scope.OpsRead] });
  });
  afterEach(async () => {
    try {
      assertNoSecretLeaked();
    } finally {
      await env.stop();
    }
  });

  function assertNoSecretLeaked() {
    const { fake } = env;
    const secrets = [
      ...fake.oauth.accessTokens.keys(),
      ...[...fake.oauth.grants.values()].flatMap((g) => [g.refreshToken, ...g.retiredRefreshTokens]),
      ...fake.requestsTo('/oauth/token').flatMap((r) => [(r.body as Record<string, string>).code_verifier, (r.body as Record<string, string>).refresh_token]),
      API_KEY,
    ].filter((s): s is string => typeof s === 'string' && s.length > 0);
    expect(secrets.length).toBeGreaterThan(0);
    const dataDir = env.gateway.config.dataDir;
    const files = readdirSync(dataDir).filter((f) => f.startsWith('gateway.db')).map((f) => readFileSync(join(dataDir, f)).toString('latin1'));
    const places = { 'GraphQL answers': answers.join('\n'), logs: env.gateway.rawLogs.join('\n'), 'database files': files.join('\n') };
    for (const [place, text] of Object.entries(places)) {
      const leaked = secrets.filter((secret) => text.includes(secret));
      expect({ place, leaked }).toEqual({ place, leaked: [] });
    }
  }

  it('installs through the browser: begin, consent, callback, CONNECTED with the account, PKCE and Basic auth checked', async () => {
    const install = await installThroughBrowser();
    expect(install.consentStatus).toBe(302);
    expect(`${install.location.origin}${install.location.pathname}`).toBe(env.callbackUrl);
    expect(install.status).toBe(200);
    expect(install.html).toContain('Acme Store (WBhXHN) is now connected for brand acme, production environment');

    const params = install.authorizeUrl.searchParams;
    expect(Object.fromEntries(params)).toMatchObject({ response_type: 'code', client_id: env.fake.clientId, redirect_uri: env.callbackUrl, scope: 'accounts:read events:write profiles:write metrics:read', code_challenge_method: 'S256', state: install.state });
    const [exchange] = env.fake.requestsTo('/oauth/token');
    const verifier = (exchange!.body as Record<string, string>).code_verifier!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(params.get('code_challenge'));
    expect(exchange!.headers.authorization).toBe(`Basic ${Buffer.from(`${env.fake.clientId}:${env.fake.clientSecret}`).toString('base64')}`);
    expect(env.fake.requestsTo('/api/accounts')).toHaveLength(1);

    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    expect(connection).toMatchObject({ environment: 'PRODUCTION', authMethod: 'OAUTH', status: 'CONNECTED', klaviyoAccountId: 'WBhXHN', klaviyoAccountName: 'Acme Store', klaviyoTestAccount: false, lastError: null, health: { state: 'IDLE', heldDeliveries: 0 } });
    expect(connection!.scopes).toEqual(['accounts:read', 'events:write', 'profiles:write', 'metrics:read']);
    expect(Date.parse(connection!.accessTokenExpiresAt!) - Date.now()).toBeGreaterThan(3500_000);
  });

  it('refuses a replayed state, on the callback and through the API, changing nothing', async () => {
    const install = await installThroughBrowser();
    const before = (await gql(ConnectionsDocument)).data!.connections;
    const replay = await fetch(install.location);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('Unknown or already used authorization state');
    const viaApi = await gql(CompleteKlaviyoAuthorizationDocument, { code: install.location.searchParams.get('code')!, state: install.state });
    expect(viaApi.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'state' } });
    expect((await gql(ConnectionsDocument)).data!.connections).toEqual(before);
    expect(env.fake.requestsTo('/oauth/token')).toHaveLength(1);
  });

  it('refuses an expired state, saying so', async () => {
    const begin = (await gql(BeginKlaviyoAuthorizationDocument, { environment: 'SANDBOX' })).data!.beginKlaviyoAuthorization;
    expect(Date.parse(begin.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    db().prepare('UPDATE oauth_states SET expires_at = ? WHERE state = ?').run(new Date(Date.now() - 1000).toISOString(), begin.state);
    const consent = await fetch(begin.authorizeUrl, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location')!);
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain('expired');
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    expect(connection).toMatchObject({ status: 'PENDING', klaviyoAccountId: null, health: { state: 'IDLE' } });
    expect(env.fake.requestsTo('/oauth/token')).toHaveLength(0);
  });

  it('reports a refusal (error=access_denied): nothing connected, and the connection says why', async () => {
    env.fake.denyConsent = true;
    const install = await installThroughBrowser('SANDBOX');
    expect(install.status).toBe(400);
    expect(install.html).toContain('the Klaviyo user declined to connect the app');
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    expect(connection).toMatchObject({ status: 'PENDING', klaviyoAccountId: null, lastError: { code: 'access_denied' }, health: { state: 'IDLE', summary: 'Authorization did not complete (the Klaviyo user declined to connect the app): start it again' } });
  });

  it('turns NEEDS_REAUTH with a readable error when Klaviyo revokes the grant, and reconnects on the same connection', async () => {
    await installThroughBrowser();
    const [connected] = (await gql(ConnectionsDocument)).data!.connections;
    env.fake.oauth.revokeAll();
    const verified = (await gql(VerifyConnectionDocument, { id: connected!.id })).data!.verifyConnection;
    expect(verified).toMatchObject({
      id: connected!.id,
      status: 'NEEDS_REAUTH',
      lastError: { code: 'invalid_grant', message: 'Klaviyo refused the refresh token (invalid_grant): reconnect the app' },
      health: { state: 'AUTH_BROKEN', summary: 'Klaviyo refused the refresh token: reconnect the app' },
    });
    // 401 on the revoked bearer, then exactly one refresh attempt that Klaviyo refused.
    expect(env.fake.requestsTo('/oauth/token').filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token')).toHaveLength(1);

    const again = await installThroughBrowser();
    expect(again.status).toBe(200);
    const reconnected = (await gql(ConnectionDocument, { id: connected!.id })).data!.connection;
    expect(reconnected).toMatchObject({ id: connected!.id, status: 'CONNECTED', lastError: null, health: { state: 'IDLE' } });
    expect((await gql(ConnectionsDocument)).data!.connections).toHaveLength(1);
  });

  it('refreshes before expiry, storing the rotated refresh token', async () => {
    await installThroughBrowser();
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    db().prepare('UPDATE connections SET access_token_expires_at = ? WHERE id = ?').run(new Date(Date.now() + 60_000).toISOString(), connection!.id);
    const verified = (await gql(VerifyConnectionDocument, { id: connection!.id })).data!.verifyConnection;
    expect(verified.status).toBe('CONNECTED');
    expect(verified.lastRefreshedAt).not.toBeNull();
    expect(env.fake.requestsTo('/oauth/token').map((r) => (r.body as Record<string, string>).grant_type)).toEqual(['authorization_code', 'refresh_token']);
    // The next call uses the stored (rotated) refresh token: no reuse, no refresh needed.
    db().prepare('UPDATE connections SET access_token_expires_at = ? WHERE id = ?').run(new Date(Date.now() + 60_000).toISOString(), connection!.id);
    expect((await gql(VerifyConnectionDocument, { id: connection!.id })).data!.verifyConnection.status).toBe('CONNECTED');
    expect(env.fake.oauth.refreshTokenReuse).toEqual([]);
  });

  it('treats invalid_client on refresh as a configuration error: loud, in health, status unchanged', async () => {
    await installThroughBrowser();
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    env.fake.oauth.clients.set(env.fake.clientId, { ...env.fake.oauth.clients.get(env.fake.clientId)!, clientSecret: 'rotated-by-someone' });
    db().prepare('UPDATE connections SET access_token_expires_at = ? WHERE id = ?').run(new Date(Date.now() + 60_000).toISOString(), connection!.id);
    const verified = (await gql(VerifyConnectionDocument, { id: connection!.id })).data!.verifyConnection;
    expect(verified.status).toBe('CONNECTED');
    expect(verified.health.state).toBe('AUTH_BROKEN');
    expect(verified.health.summary).toMatch(/invalid_client.*KLAVIYO_CLIENT_ID/);
    expect(env.gateway.logs.some((line) => line.level === 'error' && String(line.msg).includes('invalid_client'))).toBe(true);
  });

  it('disconnects: revokes once at Klaviyo, wipes the secrets, DISCONNECTED', async () => {
    await installThroughBrowser();
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    const disconnected = (await gql(DisconnectDocument, { connectionId: connection!.id })).data!.disconnect;
    expect(disconnected).toMatchObject({ id: connection!.id, status: 'DISCONNECTED', accessTokenExpiresAt: null, health: { state: 'IDLE' } });
    const revokes = env.fake.requestsTo('/oauth/revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0]!.body).toMatchObject({ token_type_hint: 'refresh_token' });
    expect(db().prepare('SELECT sealed_access_token, sealed_refresh_token, sealed_api_key FROM connections WHERE id = ?').get(connection!.id)).toEqual({ sealed_access_token: null, sealed_refresh_token: null, sealed_api_key: null });
    expect([...env.fake.oauth.grants.values()].every((g) => g.revoked)).toBe(true);
  });

  it('connects a legacy private key after checking it, and lets the OAuth install replace it on the same connection', async () => {
    const bad = await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_not_a_real_key_000000' });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'apiKey' } });
    expect(bad.errors?.[0]?.message).toMatch(/Klaviyo refused this API key/);
    const malformed = await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'hello' });
    expect(malformed.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'apiKey' } });
    expect((await gql(ConnectionsDocument)).data!.connections).toEqual([]);

    const keyed = (await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: API_KEY })).data!.connectKlaviyoApiKey;
    expect(keyed).toMatchObject({ authMethod: 'API_KEY', status: 'CONNECTED', klaviyoAccountId: 'WBhXHN', health: { state: 'IDLE' } });
    expect(env.fake.requestsTo('/api/accounts').at(-1)!.headers.authorization).toBe(`Klaviyo-API-Key ${API_KEY}`);

    await installThroughBrowser();
    const [replaced] = (await gql(ConnectionsDocument)).data!.connections;
    expect(replaced).toMatchObject({ id: keyed.id, authMethod: 'OAUTH', status: 'CONNECTED' });
    expect(db().prepare('SELECT sealed_api_key FROM connections WHERE id = ?').pluck().get(keyed.id)).toBeNull();
  });

  it("keeps brands apart: another brand's connection is missing, by id, in lists and for disconnect", async () => {
    await installThroughBrowser();
    const [connection] = (await gql(ConnectionsDocument)).data!.connections;
    const other = env.gateway.token({ brand: 'globex', scopes: [Scope.ConnectionsWrite, Scope.OpsRead] });
    expect((await gql(ConnectionDocument, { id: connection!.id }, other)).data!.connection).toBeNull();
    expect((await gql(ConnectionsDocument, undefined, other)).data!.connections).toEqual([]);
    expect(codesOf(await gql(DisconnectDocument, { connectionId: connection!.id }, other))).toEqual(['NOT_FOUND']);
    expect(codesOf(await gql(VerifyConnectionDocument, { id: connection!.id }, other))).toEqual(['NOT_FOUND']);
  });

  it('requires the scopes the contract names', async () => {
    const reader = env.gateway.token({ brand: 'acme', scopes: [Scope.OpsRead] });
    expect(codesOf(await gql(BeginKlaviyoAuthorizationDocument, { environment: 'SANDBOX' }, reader))).toEqual(['FORBIDDEN']);
    const writer = env.gateway.token({ brand: 'acme', scopes: [Scope.ConnectionsWrite] });
    expect(codesOf(await gql(ConnectionsDocument, undefined, writer))).toEqual(['FORBIDDEN']);
  });

  it('detects a flipped byte and swapped ciphertexts: never used, and lastError says so', async () => {
    await installThroughBrowser('PRODUCTION');
    await installThroughBrowser('SANDBOX');
    const rows = db().prepare('SELECT id, environment, sealed_access_token AS access FROM connections ORDER BY environment').all() as Array<{ id: string; environment: string; access: string }>;
    const [production, sandbox] = rows;
    const parts = production!.access.split('.');
    const bytes = Buffer.from(parts[4]!, 'base64url');
    bytes[0] = bytes[0]! ^ 0xff;
    parts[4] = bytes.toString('base64url');
    db().prepare('UPDATE connections SET sealed_access_token = ? WHERE id = ?').run(parts.join('.'), production!.id);
    const tampered = (await gql(VerifyConnectionDocument, { id: production!.id })).data!.verifyConnection;
    expect(tampered).toMatchObject({ lastError: { code: 'vault_error' }, health: { state: 'AUTH_BROKEN' } });

    db().prepare('UPDATE connections SET sealed_access_token = ? WHERE id = ?').run(production!.access, sandbox!.id);
    const swapped = (await gql(VerifyConnectionDocument, { id: sandbox!.id })).data!.verifyConnection;
    expect(swapped).toMatchObject({ lastError: { code: 'vault_error', message: expect.stringMatching(/belongs to another connection/) }, health: { state: 'AUTH_BROKEN' } });
    // Only the two installs reached Klaviyo (one may have waited out the 1/s limit): no tampered token was sent.
    const accountCalls = env.fake.requestsTo('/api/accounts');
    expect(accountCalls.filter((r) => r.status === 200)).toHaveLength(2);
    expect(accountCalls.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
  });
});
