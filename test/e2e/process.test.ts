import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { ViewerDocument } from '../generated/graphql';
import { tempDataDir } from '../support/env';
import { graphqlRequest } from '../support/graphql-client';
import { REPO_ROOT, spawnGateway, type GatewayProcess } from '../support/process';
import { runOperation, wsClient } from '../support/ws-client';

const run = promisify(execFile);
const devEnv = (dataDir: string) => ({ NODE_ENV: 'development', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });

describe('the gateway as a process', () => {
  it('starts with `npm start`, answers the probes, and its printed token works over HTTP and WebSocket', async () => {
    const dataDir = tempDataDir();
    const gateway = await spawnGateway({ env: devEnv(dataDir), command: ['npm', 'start', '--silent'] });
    try {
      const base = gateway.url.replace('/graphql', '');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(gateway.devToken).toBeDefined();

      const viewer = await graphqlRequest(gateway.url, ViewerDocument, { token: gateway.devToken });
      expect(viewer.data?.viewer).toEqual({ brand: 'demo', subject: 'dev', scopes: ['connections:write', 'ops:read', 'ops:write', 'profiles:erase', 'signals:write'] });

      const good = wsClient(gateway.url.replace('http', 'ws'), { authorization: `Bearer ${gateway.devToken}` });
      await good.connected;
      // Past authentication, the operation itself is judged: queries belong on HTTP.
      const outcome = await runOperation(good.client, '{ viewer { brand } }');
      expect(JSON.stringify(outcome.error)).toContain('subscriptions only');
      await good.client.dispose();

      const bad = wsClient(gateway.url.replace('http', 'ws'), { authorization: 'Bearer forged' });
      expect((await bad.closed).code).toBe(4403);
      await bad.client.dispose();

      // The CLI signs with the same generated secret, so its tokens work on this gateway.
      const { stdout } = await run('node', ['bin/signals-gateway.js', 'token', '--brand', 'acme', '--scope', 'signals:write ops:read', '--ttl', '1h'], { cwd: REPO_ROOT, env: { ...process.env, ...devEnv(dataDir) } });
      const cliToken = stdout.trim();
      const claims = jwt.decode(cliToken) as { exp: number; iat: number; brand: string; scope: string };
      expect(claims).toMatchObject({ brand: 'acme', scope: 'signals:write ops:read' });
      expect(claims.exp - claims.iat).toBe(3600);
      const asAcme = await graphqlRequest(gateway.url, ViewerDocument, { token: cliToken });
      expect(asAcme.data?.viewer.brand).toBe('acme');
    } finally {
      gateway.kill('SIGTERM');
      await gateway.exited;
    }
  });

  it('on SIGTERM during a burst, completes the requests in flight and exits 0', async () => {
    const gateway: GatewayProcess = await spawnGateway({ env: devEnv(tempDataDir()) });
    const body = JSON.stringify({ query: '{ viewer { brand } }' });
    // One request whose body is still arriving when SIGTERM lands: the server must wait for it.
    let finishBody!: () => void;
    const slowResponse = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${gateway.devToken}` } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      finishBody = () => req.end(body.slice(10));
    });

    const outcomes: string[] = [];
    let stop = false;
    const burst = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const response = await graphqlRequest(gateway.url, ViewerDocument, { token: gateway.devToken });
          outcomes.push(response.status === 200 && response.data?.viewer.brand === 'demo' ? 'ok' : `bad ${response.status}`);
        } catch (error) {
          // After the listener closes, new connections are refused: expected, and the end of this worker.
          outcomes.push('refused');
          return;
        }
      }
    });
    while (outcomes.length < 100) await new Promise((resolve) => setTimeout(resolve, 5));

    gateway.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    finishBody();
    const slow = await slowResponse;
    stop = true;
    await Promise.all(burst);
    const { code } = await gateway.exited;

    expect(slow.status).toBe(200);
    expect(JSON.parse(slow.text)).toEqual({ data: { viewer: { brand: 'demo' } } });
    expect(code).toBe(0);
    expect(outcomes.filter((o) => o.startsWith('bad'))).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(100);
    expect(gateway.stdout()).toContain('"msg":"stopped"');
  });

  it('refuses to start in production without secrets, naming every missing variable in one message', async () => {
    const result = await run('node', ['dist/main.js'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: tempDataDir() } }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'signals-gateway: invalid configuration:\n' +
        '  - JWT_SECRET (or JWT_PUBLIC_KEY with JWT_ALGORITHMS=RS256/ES256): required when NODE_ENV=production\n' +
        '  - TOKEN_ENCRYPTION_KEYS: required when NODE_ENV=production (kid:base64-32-bytes, comma separated)\n',
    );
  });
});
