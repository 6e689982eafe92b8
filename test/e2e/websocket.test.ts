import WebSocket from 'ws';
import { Scope } from '../../src/auth';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { buildProbeSchema } from '../support/probe.resolver';
import { runOperation, wsClient } from '../support/ws-client';

describe('graphql-ws on /graphql', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ schema: buildProbeSchema() });
  });
  afterAll(() => gateway.stop());

  it('accepts a valid token in connection_init and streams a subscription', async () => {
    const { client, connected } = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token({ scopes: [Scope.OpsRead] })}` });
    await connected;
    const outcome = await runOperation(client, 'subscription { ticks(count: 3) }');
    await client.dispose();
    expect(outcome.error).toBeUndefined();
    expect(outcome.results.map((r) => (r.data as { ticks: number }).ticks)).toEqual([1, 2, 3]);
  });

  it.each([
    ['a bad token', { authorization: 'Bearer not-a-jwt' }],
    ['an expired token', 'expired'],
    ['no token', {}],
    ['no payload', undefined],
  ])('closes the socket with 4403 for %s', async (_case, params) => {
    const connectionParams = params === 'expired' ? { authorization: `Bearer ${gateway.token({ ttl: -10 })}` } : (params as Record<string, unknown> | undefined);
    const { client, closed } = wsClient(gateway.wsUrl, connectionParams);
    expect(await closed).toEqual({ code: 4403, reason: 'Forbidden' });
    await client.dispose();
  });

  it.each([
    ['query', '{ viewer { brand } }', 'queries'],
    ['mutation', 'mutation { __typename }', 'mutations'],
  ])('refuses a %s, pointing at HTTP', async (_kind, query, word) => {
    const { client, connected } = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token()}` });
    await connected;
    const outcome = await runOperation(client, query);
    await client.dispose();
    expect(outcome.error).toEqual([
      expect.objectContaining({ message: `WebSocket accepts subscriptions only; send ${word} over HTTP POST /graphql`, extensions: { code: 'BAD_REQUEST' } }),
    ]);
  });

  it('closes a socket that never sends connection_init with 4408 after 3 s', async () => {
    const socket = new WebSocket(gateway.wsUrl, 'graphql-transport-ws');
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('answers 404 to an upgrade on another path', async () => {
    const socket = new WebSocket(gateway.wsUrl.replace('/graphql', '/elsewhere'), 'graphql-transport-ws');
    const status = await new Promise<number | undefined>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});
