import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { FakeKlaviyo } from '../../../test/fakes/klaviyo';
import { FailureCategory, KlaviyoFailure, KlaviyoOAuth } from '../../datasources/klaviyo';
import { EmbeddedStore } from '../../store';
import { AccessTokens } from '../access-tokens';
import { ConnectionService } from '../connection-service';
import { TokenVault } from '../vault';

const REDIRECT = 'http://localhost:4000/oauth/klaviyo/callback';

describe('AccessTokens with an unavailable token endpoint', () => {
  let fake: FakeKlaviyo;
  let store: EmbeddedStore;
  let service: ConnectionService;

  beforeEach(async () => {
    fake = await FakeKlaviyo.start({ redirectUris: [REDIRECT], rateLimits: false });
    store = EmbeddedStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sg-tokens-')) });
    const logger = pino({ level: 'silent' });
    const vault = new TokenVault([{ kid: 'k', key: randomBytes(32) }]);
    const oauth = new KlaviyoOAuth({ apiUrl: fake.url, authorizeUrl: fake.authorizeUrl, clientId: fake.clientId, clientSecret: fake.clientSecret, redirectUri: REDIRECT, scopes: ['accounts:read', 'metrics:read'] });
    const accessTokens = new AccessTokens({ connections: store.connections, vault, oauth, logger, policy: { retryDelaysMs: [1, 1] } });
    service = new ConnectionService({ store, vault, oauth, klaviyo: { apiUrl: fake.url, revision: '2026-07-15' }, logger, accessTokens });
  });
  afterEach(async () => {
    await store.close();
    await fake.stop();
  });

  async function connect() {
    const { authorizeUrl, state } = await service.beginAuthorization('acme', 'PRODUCTION');
    const consent = await fetch(authorizeUrl, { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    return service.completeAuthorization({ code, state, brand: 'acme' });
  }

  it('keeps using a still-valid token when an early refresh meets a 503', async () => {
    const connection = await connect();
    store.database.prepare('UPDATE connections SET access_token_expires_at = ?').run(new Date(Date.now() + 60_000).toISOString());
    fake.failNext(1, 503, { path: /oauth\/token/ });
    const { status } = await service.api((await service.get('acme', connection.id))!).getMetrics();
    expect(status).toBe(200);
    const after = (await service.get('acme', connection.id))!;
    expect(after).toMatchObject({ status: 'CONNECTED', tokenVersion: connection.tokenVersion, lastError: null });
    // The claim was released: the next call refreshes for real.
    expect((await service.api(after).getMetrics()).status).toBe(200);
    expect((await service.get('acme', connection.id))!.tokenVersion).toBe(connection.tokenVersion + 1);
  });

  it('retries a refresh that must happen (after a 401), then fails as UPSTREAM without touching the status', async () => {
    const connection = await connect();
    fake.oauth.expireAccessTokens();
    fake.failNext(3, 503, { path: /oauth\/token/ });
    const failure = await service.api(connection).getMetrics().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(KlaviyoFailure);
    expect(failure).toMatchObject({ category: FailureCategory.UPSTREAM, retryable: true });
    expect(fake.requestsTo('/oauth/token').filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token')).toHaveLength(3);
    expect((await service.get('acme', connection.id))!).toMatchObject({ status: 'CONNECTED', lastError: null });
    // Klaviyo recovers: the next call refreshes and succeeds.
    expect((await service.api(connection).getMetrics()).status).toBe(200);
  });
});
