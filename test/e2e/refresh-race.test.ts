import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Scope } from '../../src/auth';
import type { EmbeddedStore } from '../../src/store';
import { BeginKlaviyoAuthorizationDocument, ConnectionsDocument } from '../generated/graphql';
import { graphqlRequest } from '../support/graphql-client';
import { startGatewayWithKlaviyo, type KlaviyoEnvironment } from '../support/klaviyo-gateway';
import { REPO_ROOT } from '../support/process';

const CALLS_PER_PROCESS = 25;

interface WorkerResult {
  ok: number;
  failures: string[];
  refreshCalls: number;
}

/** Starts one worker process and resolves once it is ready to fire. */
function startWorker(env: NodeJS.ProcessEnv, args: string[]) {
  const child = spawn('node', [join(REPO_ROOT, 'test/support/refresh-race-worker.js'), ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code} before ready: ${err}`)));
  });
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1]!) as WorkerResult) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
  return { ready, result, go: () => child.stdin.write('go\n') };
}

describe('token refresh across two gateway processes sharing one embedded store', () => {
  let env: KlaviyoEnvironment;

  beforeEach(async () => {
    // Rate limits off: this test is about refresh, and GET /api/metrics allows 10/s.
    env = await startGatewayWithKlaviyo({ fake: { rateLimits: false } });
  });
  afterEach(() => env.stop());

  it.each([
    ['Klaviyo expired the access token (every call gets a 401)', 'expire-at-klaviyo'],
    ['the stored token is about to expire (refresh ahead of time)', 'expire-soon'],
  ])('makes exactly one refresh call when %s', async (_case, mode) => {
    const token = env.gateway.token({ scopes: [Scope.ConnectionsWrite, Scope.OpsRead] });
    const begin = await graphqlRequest(env.gateway.url, BeginKlaviyoAuthorizationDocument, { token, variables: { environment: 'PRODUCTION' } });
    const consent = await fetch(begin.data!.beginKlaviyoAuthorization.authorizeUrl, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location')!);
    expect(callback.status).toBe(200);
    await callback.text();
    const [connection] = (await graphqlRequest(env.gateway.url, ConnectionsDocument, { token })).data!.connections;

    if (mode === 'expire-at-klaviyo') env.fake.oauth.expireAccessTokens();
    else (env.gateway.store as EmbeddedStore).database.prepare('UPDATE connections SET access_token_expires_at = ?').run(new Date(Date.now() + 30_000).toISOString());

    const workerEnv = {
      NODE_ENV: 'test',
      DATA_DIR: env.gateway.config.dataDir,
      JWT_SECRET: env.gateway.config.jwt.verifyKey,
      TOKEN_ENCRYPTION_KEYS: env.gateway.config.tokenEncryptionKeys.map((k) => `${k.kid}:${k.key.toString('base64')}`).join(','),
      KLAVIYO_CLIENT_ID: env.fake.clientId,
      KLAVIYO_CLIENT_SECRET: env.fake.clientSecret,
      KLAVIYO_API_URL: env.fake.url,
    };
    const workers = [0, 1].map(() => startWorker(workerEnv, ['acme', connection!.id, String(CALLS_PER_PROCESS)]));
    await Promise.all(workers.map((w) => w.ready));
    for (const worker of workers) worker.go();
    const results = await Promise.all(workers.map((w) => w.result));

    expect(results.map((r) => r.failures)).toEqual([[], []]);
    expect(results.reduce((sum, r) => sum + r.ok, 0)).toBe(2 * CALLS_PER_PROCESS);
    const refreshes = env.fake.requestsTo('/oauth/token').filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(results.map((r) => r.refreshCalls).sort()).toEqual([0, 1]);
    expect(env.fake.oauth.refreshTokenReuse).toEqual([]);
    expect(env.fake.requestsTo('/api/metrics').filter((r) => r.status === 200)).toHaveLength(2 * CALLS_PER_PROCESS);
  });
});
