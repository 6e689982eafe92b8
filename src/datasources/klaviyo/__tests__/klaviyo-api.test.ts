import { createHash, randomBytes } from 'node:crypto';
import { FakeKlaviyo } from '../../../../test/fakes/klaviyo';
import { FailureCategory, KlaviyoAPI, KlaviyoFailure, KlaviyoOAuth, OAuthError, type KlaviyoCredentials } from '..';

const REDIRECT = 'http://localhost:4000/oauth/klaviyo/callback';
const event = (overrides: Record<string, unknown> = {}) => ({
  data: {
    type: 'event' as const,
    attributes: {
      properties: { ProductID: 'p1' },
      time: '2026-12-04T13:00:00Z',
      unique_id: randomBytes(4).toString('hex'),
      metric: { data: { type: 'metric', attributes: { name: 'Cart Abandonment' } } },
      profile: { data: { type: 'profile', attributes: { email: 'shopper@example.com' } } },
      ...overrides,
    },
  },
});

async function failureOf(promise: Promise<unknown>): Promise<KlaviyoFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KlaviyoFailure) return error;
    throw error;
  }
  throw new Error('expected a KlaviyoFailure');
}

describe('KlaviyoAPI against the fake Klaviyo', () => {
  let fake: FakeKlaviyo;
  const apiWithKey = (key = 'pk_test_key_0123456789') => new KlaviyoAPI({ baseUrl: fake.url, revision: '2026-07-15', credentials: { authorization: async () => `Klaviyo-API-Key ${key}` } });

  beforeEach(async () => {
    // A frozen clock keeps Klaviyo's one-second windows from rolling over mid-test.
    const frozen = Date.now();
    fake = await FakeKlaviyo.start({ accounts: [{ id: 'WBhXHN', organizationName: 'Acme Test', testAccount: true }], redirectUris: [REDIRECT], clock: () => frozen });
    fake.addApiKey('pk_test_key_0123456789');
  });
  afterEach(() => fake.stop());

  it('reads the account with the pinned revision, JSON:API headers and the key', async () => {
    const { data } = await apiWithKey().getAccount();
    expect(data).toEqual({ id: 'WBhXHN', organizationName: 'Acme Test', testAccount: true });
    const [request] = fake.requestsTo('/api/accounts');
    expect(request?.headers).toMatchObject({ authorization: 'Klaviyo-API-Key pk_test_key_0123456789', revision: '2026-07-15', accept: 'application/vnd.api+json' });
  });

  it('sends an event (202) and reports the quota from RateLimit-* headers', async () => {
    const result = await apiWithKey().createEvent(event());
    expect(result.status).toBe(202);
    expect(result.rateLimit).toEqual({ remaining: 349, resetSeconds: expect.any(Number), windows: [{ limit: 350, windowSeconds: 1 }, { limit: 3500, windowSeconds: 60 }] });
    expect(fake.account().events).toHaveLength(1);
  });

  it('classifies a rejected payload as PAYLOAD with Klaviyo pointer and detail, not retryable', async () => {
    const failure = await failureOf(apiWithKey().createEvent(event({ time: '1980-01-01T00:00:00Z' })));
    expect(failure).toMatchObject({ category: FailureCategory.PAYLOAD, httpStatus: 400, code: 'invalid', pointer: '/data/attributes/time', retryable: false });
    const schema = await failureOf(apiWithKey().createEvent(event({ metric: undefined })));
    expect(schema).toMatchObject({ category: FailureCategory.PAYLOAD, pointer: '/data/attributes/metric' });
  });

  it('classifies auth, scope, throttling, outages and dropped sockets', async () => {
    expect(await failureOf(apiWithKey('pk_wrong_0123456789').getAccount())).toMatchObject({ category: FailureCategory.AUTH, httpStatus: 401, code: 'not_authenticated' });
    fake.addApiKey('pk_readonly_0123456789', ['accounts:read']);
    expect(await failureOf(apiWithKey('pk_readonly_0123456789').createEvent(event()))).toMatchObject({ category: FailureCategory.SCOPE, httpStatus: 403 });
    await apiWithKey().getAccount(); // accounts allow 1/s: the next one is throttled
    expect(await failureOf(apiWithKey().getAccount())).toMatchObject({ category: FailureCategory.RATE_LIMIT, httpStatus: 429, code: 'throttled', retryAfterMs: 1000, retryable: true });
    fake.failNext(1, 503, { path: /events/ });
    expect(await failureOf(apiWithKey().createEvent(event()))).toMatchObject({ category: FailureCategory.UPSTREAM, httpStatus: 503, retryable: true });
    fake.dropNext(1, /events/);
    expect(await failureOf(apiWithKey().createEvent(event()))).toMatchObject({ category: FailureCategory.NETWORK, retryable: true });
  });

  it('asks its credentials once for a fresh token after a 401 and retries once', async () => {
    const refreshed: string[] = [];
    const credentials: KlaviyoCredentials = {
      authorization: async () => 'Klaviyo-API-Key pk_expired_0123456789',
      refreshAfterUnauthorized: async (refused) => {
        refreshed.push(refused);
        return 'Klaviyo-API-Key pk_test_key_0123456789';
      },
    };
    const api = new KlaviyoAPI({ baseUrl: fake.url, revision: '2026-07-15', credentials });
    expect((await api.createEvent(event())).status).toBe(202);
    expect(refreshed).toEqual(['Klaviyo-API-Key pk_expired_0123456789']);
    expect(fake.requestsTo('/api/events').map((r) => r.status)).toEqual([401, 202]);
  });
});

describe('KlaviyoOAuth against the fake Klaviyo', () => {
  let fake: FakeKlaviyo;
  let oauth: KlaviyoOAuth;
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  beforeEach(async () => {
    fake = await FakeKlaviyo.start({ redirectUris: [REDIRECT] });
    oauth = new KlaviyoOAuth({ apiUrl: fake.url, authorizeUrl: fake.authorizeUrl, clientId: fake.clientId, clientSecret: fake.clientSecret, redirectUri: REDIRECT, scopes: ['accounts:read', 'events:write'] });
  });
  afterEach(() => fake.stop());

  async function authorize(): Promise<string> {
    const response = await fetch(oauth.buildAuthorizeUrl({ state: 'st', codeChallenge: challenge }), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st');
    return location.searchParams.get('code')!;
  }
  const oauthErrorOf = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected OAuthError'); }, (error: OAuthError) => error);

  it('exchanges a code with the PKCE verifier, Basic client auth and a form body', async () => {
    const tokens = await oauth.exchangeCode({ code: await authorize(), codeVerifier: verifier });
    expect(tokens).toMatchObject({ accessToken: expect.stringMatching(/^at_/), refreshToken: expect.stringMatching(/^rt_/), expiresIn: 3600, scopes: ['accounts:read', 'events:write'] });
    const [request] = fake.requestsTo('/oauth/token');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.body).toMatchObject({ grant_type: 'authorization_code', code_verifier: verifier, redirect_uri: REDIRECT });
  });

  it('is refused a wrong verifier, a reused code and a wrong client secret', async () => {
    expect(await oauthErrorOf(oauth.exchangeCode({ code: await authorize(), codeVerifier: randomBytes(48).toString('base64url') }))).toMatchObject({ error: 'invalid_grant', description: 'Code challenge failed.' });
    const code = await authorize();
    await oauth.exchangeCode({ code, codeVerifier: verifier });
    expect(await oauthErrorOf(oauth.exchangeCode({ code, codeVerifier: verifier }))).toMatchObject({ error: 'invalid_grant', retryable: false });
    const wrongSecret = new KlaviyoOAuth({ apiUrl: fake.url, authorizeUrl: fake.authorizeUrl, clientId: fake.clientId, clientSecret: 'nope', redirectUri: REDIRECT, scopes: [] });
    expect(await oauthErrorOf(wrongSecret.refresh('rt_x'))).toMatchObject({ error: 'invalid_client', httpStatus: 401 });
  });

  it('rotates refresh tokens, and a reused one revokes the grant', async () => {
    const first = await oauth.exchangeCode({ code: await authorize(), codeVerifier: verifier });
    const second = await oauth.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(await oauthErrorOf(oauth.refresh(first.refreshToken))).toMatchObject({ error: 'invalid_grant' });
    expect(fake.oauth.refreshTokenReuse).toEqual([first.refreshToken]);
    expect(await oauthErrorOf(oauth.refresh(second.refreshToken))).toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes: the bearer then gets 401, and 5xx on the token endpoint is retryable', async () => {
    const tokens = await oauth.exchangeCode({ code: await authorize(), codeVerifier: verifier });
    const api = new KlaviyoAPI({ baseUrl: fake.url, revision: '2026-07-15', credentials: { authorization: async () => `Bearer ${tokens.accessToken}` } });
    await oauth.revoke(tokens.refreshToken);
    expect(await failureOf(api.getAccount())).toMatchObject({ category: FailureCategory.AUTH });
    fake.failNext(1, 502, { path: /oauth\/token/ });
    expect(await oauthErrorOf(oauth.refresh(tokens.refreshToken))).toMatchObject({ error: 'temporarily_unavailable', retryable: true });
  });

  it('redirects with error=access_denied when the user refuses', async () => {
    fake.denyConsent = true;
    const response = await fetch(oauth.buildAuthorizeUrl({ state: 'st', codeChallenge: challenge }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('code')).toBeNull();
  });
});
