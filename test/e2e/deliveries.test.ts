import { Scope } from '../../src/auth';
import {
  ConnectKlaviyoApiKeyDocument,
  DeliveriesDocument,
  DeliveryStatsDocument,
  ForgetProfileDocument,
  InstallStandardMetricsDocument,
  LookupProfileDocument,
  RecordSignalsDocument,
  SetMetricRolloutDocument,
  SignalDocument,
  type SignalInput,
} from '../generated/graphql';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { startGatewayWithKlaviyo, type KlaviyoEnvironment } from '../support/klaviyo-gateway';

const product = { ProductID: 'p_1', ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1', Price: 119.5, Currency: 'USD' };
const browse = (i: number, identity: SignalInput['identity'] = { externalId: `customer-${i}` }): SignalInput => ({ metric: 'browse_abandonment', identity, properties: product, idempotencyKey: `browse-${i}` });

describe('delivery reads and forgetProfile', () => {
  let env: KlaviyoEnvironment;
  let ops: string;
  let storefront: string;
  const gql = <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables: V, token = ops) => graphqlRequest<T, V>(env.gateway.url, document, { token, variables });

  beforeEach(async () => {
    env = await startGatewayWithKlaviyo();
    env.fake.addApiKey('pk_reads_key_0123456789');
    ops = env.gateway.token({ scopes: [Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite, Scope.ProfilesErase] });
    storefront = env.gateway.token({ scopes: [Scope.SignalsWrite] });
    await gql(InstallStandardMetricsDocument, {});
    await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_reads_key_0123456789' });
    await gql(SetMetricRolloutDocument, { key: 'browse_abandonment', rollout: { environment: 'PRODUCTION', mode: 'ON' } });
    await gql(RecordSignalsDocument, { inputs: Array.from({ length: 7 }, (_, i) => browse(i)) }, storefront);
  });
  afterEach(() => env.stop());

  it('pages deliveries in a stable order with opaque cursors and a total', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const result: Awaited<ReturnType<typeof gql<import('../generated/graphql').DeliveriesQuery, import('../generated/graphql').DeliveriesQueryVariables>>> = await gql(DeliveriesDocument, { first: 3, after });
      const deliveries = result.data!.deliveries;
      expect(deliveries.totalCount).toBe(7);
      seen.push(...deliveries.edges.map((e) => e.node.signal.idempotencyKey));
      if (!deliveries.pageInfo.hasNextPage) break;
      after = deliveries.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `browse-${i}`));
    expect(codesOf(await gql(DeliveriesDocument, { first: 201 }))[0]).toBe('BAD_USER_INPUT');
    expect((await gql(DeliveriesDocument, { after: 'garbage' })).errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
    expect((await gql(DeliveriesDocument, { filter: { metric: 'cart_abandonment' } })).data!.deliveries.totalCount).toBe(0);
    expect((await gql(DeliveriesDocument, { filter: { metric: 'browse_abandonment', status: ['QUEUED'], environment: 'PRODUCTION' } })).data!.deliveries.totalCount).toBe(7);
  });

  it('counts deliveries per metric and environment', async () => {
    const stats = (await gql(DeliveryStatsDocument, { since: new Date(Date.now() - 60_000).toISOString() })).data!.deliveryStats;
    expect(stats).toEqual([{ metric: { key: 'browse_abandonment' }, environment: 'PRODUCTION', received: 7, delivered: 0, failed: 0, retrying: 0, held: 0, shadowed: 0, lastDeliveredAt: null, failuresByCategory: [] }]);
  });

  it("never shows another brand's deliveries or stats", async () => {
    const globex = env.gateway.token({ brand: 'globex', scopes: [Scope.OpsRead, Scope.ProfilesErase] });
    expect((await gql(DeliveriesDocument, {}, globex)).data!.deliveries).toMatchObject({ totalCount: 0, edges: [] });
    expect((await gql(DeliveryStatsDocument, { since: new Date(0).toISOString() }, globex)).data!.deliveryStats).toEqual([]);
    const [edge] = (await gql(DeliveriesDocument, { first: 1 })).data!.deliveries.edges;
    expect((await gql(DeliveriesDocument, { filter: { connectionId: edge!.node.connection.id } }, globex)).data!.deliveries.totalCount).toBe(0);
    expect(codesOf(await gql(ForgetProfileDocument, { id: edge!.node.signal.profile!.id }, globex))).toEqual(['NOT_FOUND']);
  });

  it('forgets a profile: gone from lookups, signal kept without its person, pending deliveries cancelled, Klaviyo deletion recorded', async () => {
    const [edge] = (await gql(DeliveriesDocument, { first: 1 })).data!.deliveries.edges;
    const profileId = edge!.node.signal.profile!.id;
    expect(codesOf(await gql(ForgetProfileDocument, { id: profileId }, env.gateway.token({ scopes: [Scope.OpsWrite] })))).toEqual(['FORBIDDEN']);
    expect((await gql(ForgetProfileDocument, { id: profileId })).data!.forgetProfile).toBe(true);
    expect((await gql(LookupProfileDocument, { identity: { externalId: 'customer-0' } })).data!.lookupProfile).toBeNull();
    const signal = (await gql(SignalDocument, { id: edge!.node.signal.id })).data!.signal!;
    expect(signal.profile).toBeNull();
    expect(signal.deliveries[0]).toMatchObject({ status: 'CANCELLED' });
    expect(JSON.stringify(signal.deliveries[0]!.payload)).not.toContain('customer-0');
    const requests = await env.gateway.store.intake.deletionRequests('acme');
    expect(requests).toEqual([expect.objectContaining({ environment: 'PRODUCTION', status: 'PENDING', identifiers: [{ kind: 'EXTERNAL_ID', value: 'customer-0' }] })]);
    expect(codesOf(await gql(ForgetProfileDocument, { id: profileId }))).toEqual(['NOT_FOUND']);
  });
});
