import { startTestGateway, type TestGateway } from '../support/gateway';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { buildProbeSchema } from '../support/probe.resolver';
import { runOperation, wsClient } from '../support/ws-client';

describe('in production', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { NODE_ENV: 'production' }, schema: buildProbeSchema() });
  });
  afterAll(() => gateway.stop());

  it('masks unexpected errors: a code, no internal message, no stack', async () => {
    const response = await graphqlRequest(gateway.url, '{ boom }', { token: gateway.token() });
    expect(response.errors).toEqual([{ message: 'Internal server error', locations: [{ line: 1, column: 3 }], path: ['boom'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    // The operator still finds the real error in the log.
    expect(gateway.rawLogs.some((line) => line.includes('internal detail'))).toBe(true);
  });

  it('keeps gateway errors readable, without stacks', async () => {
    const response = await graphqlRequest(gateway.url, '{ viewer { brand } }');
    expect(response.errors).toEqual([expect.objectContaining({ message: 'Missing bearer token', extensions: { code: 'UNAUTHENTICATED' } })]);
  });

  it('refuses introspection on HTTP and WebSocket', async () => {
    const http = await graphqlRequest(gateway.url, '{ __schema { types { name } } }', { token: gateway.token() });
    expect(codesOf(http)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const { client, connected } = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token()}` });
    await connected;
    const ws = await runOperation(client, 'subscription { __schema { types { name } } }');
    await client.dispose();
    expect(JSON.stringify(ws.error)).toMatch(/introspection/i);
  });

  it('serves no landing page and does not suggest field names', async () => {
    const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/<html/i);
    const typo = await graphqlRequest(gateway.url, '{ viewr { brand } }', { token: gateway.token() });
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
