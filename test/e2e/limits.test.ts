import { REQUEST_LIMITS } from '../../src/graphql/limits';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { buildProbeSchema, deepProbeQuery, probeCalls } from '../support/probe.resolver';
import { runOperation, wsClient } from '../support/ws-client';

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: probe { level }`).join(' ')} }`;
const manyTokens = (n: number) => `{ probe { ${'level '.repeat(n)}} }`;
/** Few tokens, shallow, no aliases, but fragments that multiply: 10 x 10 x 10 leaf selections. */
const costly = `{ probe { ...A } }
  fragment A on ProbeNode { ${'child { ...B } '.repeat(10)} }
  fragment B on ProbeNode { ${'child { ...C } '.repeat(10)} }
  fragment C on ProbeNode { ${'child { level } '.repeat(10)} }`;

const cases: Array<[string, string, RegExp]> = [
  ['a query of depth 20', deepProbeQuery(20), /depth limit of 8/i],
  ['a query of depth 9', deepProbeQuery(9), /depth limit of 8/i],
  ['a query with 100 aliases', aliases(100), /aliases limit of 15/i],
  ['a query with 16 aliases', aliases(16), /aliases limit of 15/i],
  ['a query of 5,000 tokens', manyTokens(5000), /contains more th\w+ 1000 tokens/],
  ['a query over the cost limit', costly, /cost limit/i],
];

describe('request limits', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ schema: buildProbeSchema() });
  });
  afterAll(() => gateway.stop());

  it('serves queries right at the limits', async () => {
    for (const query of [deepProbeQuery(8), aliases(15)]) {
      const response = await graphqlRequest(gateway.url, query, { token: gateway.token() });
      expect(response.errors).toBeUndefined();
    }
  });

  describe.each(cases)('%s', (_name, query, message) => {
    it('is refused over HTTP before any resolver runs', async () => {
      const before = probeCalls.count;
      const response = await graphqlRequest(gateway.url, query, { token: gateway.token() });
      expect(response.status).toBe(400);
      expect(codesOf(response)[0]).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
      expect(response.errors?.map((e) => e.message).join('\n')).toMatch(message);
      expect(probeCalls.count).toBe(before);
    });

    it('is refused over WebSocket before any resolver runs', async () => {
      const { client, connected } = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token()}` });
      await connected;
      const before = probeCalls.count;
      const outcome = await runOperation(client, query.replace(/^\{/, 'subscription {'));
      await client.dispose();
      const errors = outcome.error as Array<{ message: string; extensions?: { code?: string } }>;
      expect(Array.isArray(errors)).toBe(true);
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
      expect(errors[0]?.extensions?.code).toMatch(/^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
      expect(probeCalls.count).toBe(before);
    });
  });

  it(`answers 413 to an HTTP body over ${REQUEST_LIMITS.maxHttpBodyBytes} bytes`, async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.token()}` },
      body: JSON.stringify({ query: '{ viewer { brand } }', variables: { pad: 'x'.repeat(REQUEST_LIMITS.maxHttpBodyBytes) } }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: expect.stringMatching(/larger than 2097152 bytes/), extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('answers 400 to a body that is not JSON', async () => {
    const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    expect(codesOf((await response.json()) as { errors?: [] })).toEqual(['BAD_REQUEST']);
  });

  it(`closes a WebSocket whose message is over ${REQUEST_LIMITS.maxWsPayloadBytes} bytes with 1009`, async () => {
    const { client, connected, closed } = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token()}` });
    await connected;
    void runOperation(client, `subscription { ticks(count: 1) } # ${'x'.repeat(REQUEST_LIMITS.maxWsPayloadBytes)}`);
    expect((await closed).code).toBe(1009);
    await client.dispose();
  });
});
