import { randomBytes } from 'node:crypto';
import { Scope } from '../../src/auth';
import { runCli } from '../../src/cli';
import { EmbeddedStore } from '../../src/store';
import { FakeKlaviyo } from '../fakes/klaviyo';
import { BeginKlaviyoAuthorizationDocument, ConnectionsDocument, ConnectKlaviyoApiKeyDocument, VerifyConnectionDocument } from '../generated/graphql';
import { tempDataDir, TEST_KEYRING } from '../support/env';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { graphqlRequest } from '../support/graphql-client';
import { freePort } from '../support/klaviyo-gateway';

const NEW_KEY = `k2:${randomBytes(32).toString('base64')}`;

describe('signals-gateway rotate-keys', () => {
  let fake: FakeKlaviyo;
  let gateway: TestGateway | undefined;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    const port = await freePort();
    const callback = `http://localhost:${port}/oauth/klaviyo/callback`;
    fake = await FakeKlaviyo.start({ redirectUris: [callback] });
    fake.addApiKey('pk_rotation_key_0123456789');
    env = { PORT: String(port), DATA_DIR: tempDataDir(), KLAVIYO_CLIENT_ID: fake.clientId, KLAVIYO_CLIENT_SECRET: fake.clientSecret, KLAVIYO_REDIRECT_URI: callback, KLAVIYO_AUTHORIZE_URL: fake.authorizeUrl, KLAVIYO_API_URL: fake.url };
  });
  afterEach(async () => {
    await gateway?.stop();
    await fake.stop();
  });

  it('re-encrypts every secret under the new key, after which the old key is no longer needed', async () => {
    gateway = await startTestGateway({ env: { ...env, TOKEN_ENCRYPTION_KEYS: TEST_KEYRING } });
    const token = gateway.token({ scopes: [Scope.ConnectionsWrite, Scope.OpsRead] });
    const begin = await graphqlRequest(gateway.url, BeginKlaviyoAuthorizationDocument, { token, variables: { environment: 'PRODUCTION' } });
    const consent = await fetch(begin.data!.beginKlaviyoAuthorization.authorizeUrl, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location')!);
    expect(callback.status).toBe(200);
    await callback.text(); // an unread body would pin the keep-alive socket to this gateway instance
    await graphqlRequest(gateway.url, ConnectKlaviyoApiKeyDocument, { token, variables: { environment: 'SANDBOX', apiKey: 'pk_rotation_key_0123456789' } });
    await graphqlRequest(gateway.url, BeginKlaviyoAuthorizationDocument, { token, variables: { environment: 'SANDBOX' } }); // a pending state: its verifier is a secret too
    await gateway.stop();
    gateway = undefined;
    // Let fetch's keep-alive pool see the closed sockets before a new gateway takes the same port:
    // the steps below never yield to I/O, so a stale socket would otherwise be reused.
    await new Promise((resolve) => setTimeout(resolve, 50));

    let out = '';
    let err = '';
    const code = await runCli(['rotate-keys'], { out: (t) => (out += t), err: (t) => (err += t) }, { ...env, NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), TOKEN_ENCRYPTION_KEYS: `${NEW_KEY},${TEST_KEYRING}` });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    // OAuth access + refresh token, the API key, and the pending PKCE verifier.
    expect(out).toBe('rotate-keys: re-encrypted 4 secret(s) under key "k2"; 0 already were\n');

    const store = EmbeddedStore.open({ dataDir: env.DATA_DIR! });
    const sealed = store.database.prepare('SELECT sealed_access_token, sealed_refresh_token, sealed_api_key FROM connections UNION ALL SELECT sealed_verifier, NULL, NULL FROM oauth_states').raw().all().flat().filter(Boolean) as string[];
    await store.close();
    expect(sealed).toHaveLength(4);
    expect(sealed.every((value) => value.startsWith('v1.k2.'))).toBe(true);

    // Only the new key now: every connection still works.
    gateway = await startTestGateway({ env: { ...env, TOKEN_ENCRYPTION_KEYS: NEW_KEY } });
    const connections = (await graphqlRequest(gateway.url, ConnectionsDocument, { token: gateway.token() })).data!.connections;
    for (const connection of connections) {
      const verified = await graphqlRequest(gateway.url, VerifyConnectionDocument, { token: gateway.token(), variables: { id: connection.id } });
      expect(verified.data?.verifyConnection).toMatchObject({ status: 'CONNECTED', lastError: null, health: { state: 'IDLE' } });
    }
    expect(connections.map((c) => c.authMethod).sort()).toEqual(['API_KEY', 'OAUTH']);

    // A second run has nothing left to do.
    let again = '';
    await runCli(['rotate-keys'], { out: (t) => (again += t), err: () => undefined }, { ...env, NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), TOKEN_ENCRYPTION_KEYS: NEW_KEY });
    expect(again).toBe('rotate-keys: re-encrypted 0 secret(s) under key "k2"; 3 already were\n');
  });
});
