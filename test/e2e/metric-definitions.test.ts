import { Scope } from '../../src/auth';
import {
  DefineMetricDocument,
  InstallStandardMetricsDocument,
  MetricDefinitionDocument,
  MetricDefinitionsDocument,
  SetMetricRolloutDocument,
  type MetricDefinitionInput,
} from '../generated/graphql';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { codesOf, graphqlRequest } from '../support/graphql-client';

const cartSchema = {
  type: 'object',
  required: ['items'],
  properties: { email: { type: 'string' }, items: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } } } } },
};
const input = (overrides: Partial<MetricDefinitionInput> = {}): MetricDefinitionInput => ({
  key: 'cart_abandonment',
  name: 'Cart Abandonment',
  description: null,
  propertiesSchema: cartSchema,
  piiFields: null,
  rollout: null,
  ...overrides,
});

describe('metric definitions (data contracts)', () => {
  let gateway: TestGateway;
  let ops: string;
  beforeEach(async () => {
    gateway = await startTestGateway();
    ops = gateway.token({ scopes: [Scope.OpsRead, Scope.OpsWrite] });
  });
  afterEach(() => gateway.stop());

  const define = (value: MetricDefinitionInput, token = ops) => graphqlRequest(gateway.url, DefineMetricDocument, { token, variables: { input: value } });
  const list = (token = ops) => graphqlRequest(gateway.url, MetricDefinitionsDocument, { token }).then((r) => r.data!.metricDefinitions);

  it('defines version 1 with OFF rollouts, keeps it for the same contract, and adds a version when it changes', async () => {
    const first = (await define(input({ rollout: [{ environment: 'PRODUCTION', mode: 'ON', percentage: 50 }] }))).data!.defineMetric;
    expect(first).toMatchObject({
      key: 'cart_abandonment',
      name: 'Cart Abandonment',
      version: 1,
      piiFields: [],
      propertiesSchema: cartSchema,
      rollout: [
        { environment: 'SANDBOX', mode: 'OFF', percentage: 100 },
        { environment: 'PRODUCTION', mode: 'ON', percentage: 50 },
      ],
    });
    expect((await define(input())).data!.defineMetric).toMatchObject({ id: first.id, version: 1 });
    const second = (await define(input({ piiFields: ['/email'] }))).data!.defineMetric;
    expect(second).toMatchObject({ id: first.id, version: 2, piiFields: ['/email'], rollout: first.rollout });
    expect((await graphqlRequest(gateway.url, MetricDefinitionDocument, { token: ops, variables: { key: 'cart_abandonment' } })).data!.metricDefinition?.version).toBe(2);
  });

  it.each<[string, Partial<MetricDefinitionInput>, string, RegExp]>([
    ['a key with capitals', { key: 'CartAbandonment' }, 'input.key', /lower-case/],
    ['a name of 128 characters', { name: 'x'.repeat(128) }, 'input.name', /1 to 127 characters/],
    ['a schema that is not an object', { propertiesSchema: { type: 'array' } }, 'input.propertiesSchema', /at \/type: must be "object"/],
    ['a misspelled keyword', { propertiesSchema: { type: 'object', propertees: {} } }, 'input.propertiesSchema', /unknown keyword: "propertees"/],
    ['another JSON Schema draft', { propertiesSchema: { ...cartSchema, $schema: 'http://json-schema.org/draft-07/schema#' } }, 'input.propertiesSchema', /draft 2020-12/],
    ['a PII pointer the schema lacks', { piiFields: ['/email', '/phone'] }, 'input.piiFields.1', /"\/phone" names nothing/],
    ['a percentage over 100', { rollout: [{ environment: 'SANDBOX', mode: 'ON', percentage: 101 }] }, 'input.rollout.0.percentage', /0 to 100/],
    ['an environment twice', { rollout: [{ environment: 'SANDBOX', mode: 'ON', percentage: 1 }, { environment: 'SANDBOX', mode: 'OFF', percentage: 1 }] }, 'input.rollout.1.environment', /twice/],
  ])('refuses %s with BAD_USER_INPUT on the field, changing nothing', async (_case, overrides, field, message) => {
    const response = await define(input(overrides));
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
    expect(response.errors?.[0]?.message).toMatch(message);
    expect(await list()).toEqual([]);
  });

  it('sets one environment\'s rollout; an unknown metric is NOT_FOUND', async () => {
    await define(input());
    const updated = await graphqlRequest(gateway.url, SetMetricRolloutDocument, { token: ops, variables: { key: 'cart_abandonment', rollout: { environment: 'SANDBOX', mode: 'SHADOW' } } });
    expect(updated.data!.setMetricRollout).toMatchObject({ version: 1, rollout: [{ environment: 'SANDBOX', mode: 'SHADOW', percentage: 100 }, { environment: 'PRODUCTION', mode: 'OFF', percentage: 100 }] });
    const missing = await graphqlRequest(gateway.url, SetMetricRolloutDocument, { token: ops, variables: { key: 'nope', rollout: { environment: 'SANDBOX', mode: 'ON' } } });
    expect(codesOf(missing)).toEqual(['NOT_FOUND']);
  });

  it('installs the five standard signals once, idempotently', async () => {
    const installed = (await graphqlRequest(gateway.url, InstallStandardMetricsDocument, { token: ops })).data!.installStandardMetrics;
    expect(installed.map((m) => [m.key, m.name, m.version])).toEqual([
      ['browse_abandonment', 'Browse Abandonment', 1],
      ['product_abandonment', 'Product Abandonment', 1],
      ['cart_abandonment', 'Cart Abandonment', 1],
      ['category_browse', 'Category Browse', 1],
      ['back_in_stock', 'Back in Stock', 1],
    ]);
    expect(installed.every((m) => m.rollout.every((r) => r.mode === 'OFF'))).toBe(true);
    const again = (await graphqlRequest(gateway.url, InstallStandardMetricsDocument, { token: ops })).data!.installStandardMetrics;
    expect(again.map((m) => [m.id, m.version])).toEqual(installed.map((m) => [m.id, 1]));
  });

  it('needs ops:write to define and ops:read to read, and keeps brands apart', async () => {
    const reader = gateway.token({ scopes: [Scope.OpsRead] });
    expect(codesOf(await define(input(), reader))).toEqual(['FORBIDDEN']);
    expect(codesOf(await graphqlRequest(gateway.url, MetricDefinitionsDocument, { token: gateway.token({ scopes: [Scope.SignalsWrite] }) }))).toEqual(['FORBIDDEN']);
    await define(input());
    const globex = gateway.token({ brand: 'globex', scopes: [Scope.OpsRead, Scope.OpsWrite] });
    expect(await list(globex)).toEqual([]);
    expect((await graphqlRequest(gateway.url, MetricDefinitionDocument, { token: globex, variables: { key: 'cart_abandonment' } })).data!.metricDefinition).toBeNull();
    expect(codesOf(await graphqlRequest(gateway.url, SetMetricRolloutDocument, { token: globex, variables: { key: 'cart_abandonment', rollout: { environment: 'SANDBOX', mode: 'ON' } } }))).toEqual(['NOT_FOUND']);
  });
});
