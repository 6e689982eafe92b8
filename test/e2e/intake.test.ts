import { Scope } from '../../src/auth';
import {
  ConnectKlaviyoApiKeyDocument,
  IdentifyDocument,
  InstallStandardMetricsDocument,
  LookupProfileDocument,
  ProfileDocument,
  RecordSignalDocument,
  RecordSignalsDocument,
  SetMetricRolloutDocument,
  SignalDocument,
  type SignalInput,
} from '../generated/graphql';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { startGatewayWithKlaviyo, type KlaviyoEnvironment } from '../support/klaviyo-gateway';

const cart = {
  CartID: 'c_1',
  Currency: 'USD',
  CartTotal: 119.5,
  Items: [{ ProductID: 'p_1001', ProductName: 'Trail Runner 2', Quantity: 1, Price: 119.5, URL: 'https://shop.example.com/p/1', ImageURL: 'https://cdn.example.com/1.jpg' }],
};
const signal = (overrides: Partial<SignalInput> = {}): SignalInput => ({ metric: 'cart_abandonment', identity: { anonymousId: 'anon-1' }, properties: cart, value: 119.5, valueCurrency: 'USD', ...overrides });

describe('signal intake', () => {
  let env: KlaviyoEnvironment;
  let storefront: string;
  let ops: string;

  const gql = <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables: V, token: string) =>
    graphqlRequest<T, V>(env.gateway.url, document, { token, variables });
  const record = (input: SignalInput, token = storefront) => gql(RecordSignalDocument, { input }, token);

  beforeEach(async () => {
    env = await startGatewayWithKlaviyo();
    env.fake.addApiKey('pk_intake_key_0123456789');
    storefront = env.gateway.token({ scopes: [Scope.SignalsWrite] });
    ops = env.gateway.token({ scopes: [Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite] });
    await gql(InstallStandardMetricsDocument, {}, ops);
  });
  afterEach(() => env.stop());

  async function connectAndRollOut(mode: 'ON' | 'SHADOW', percentage = 100) {
    await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_intake_key_0123456789' }, ops);
    await gql(SetMetricRolloutDocument, { key: 'cart_abandonment', rollout: { environment: 'PRODUCTION', mode, percentage } }, ops);
  }

  it.each<[string, Partial<SignalInput>, string]>([
    ['an unknown metric', { metric: 'nope' }, 'input.metric'],
    ['properties failing the schema', { properties: { ...cart, Items: [{ ...cart.Items[0], Price: -5 }] } }, 'input.properties.Items.0.Price'],
    ['no identifier', { identity: {} }, 'input.identity'],
    ['a bad email', { identity: { email: 'not-an-email' } }, 'input.identity.email'],
    ['a bad phone', { identity: { phone: '12' } }, 'input.identity.phone'],
    ['occurredAt before 1990', { occurredAt: '1989-12-31T23:59:59Z' }, 'input.occurredAt'],
    ['occurredAt over a year ahead', { occurredAt: new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString() }, 'input.occurredAt'],
    ['more than 400 top-level properties', { properties: { ...cart, ...Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`extra${i}`, i])) } }, 'input.properties'],
    ['a string over 100 KB', { properties: { ...cart, CartID: 'x'.repeat(100 * 1024 + 1) } }, 'input.properties.CartID'],
    ['a signal over 1 MB', { properties: { ...cart, Notes: Array.from({ length: 12 }, () => 'y'.repeat(99 * 1024)) } }, 'input.properties'],
    ['a lower-case currency', { valueCurrency: 'usd' }, 'input.valueCurrency'],
  ])('refuses %s with BAD_USER_INPUT on the field, recording nothing', async (_case, overrides, field) => {
    const response = await record(signal(overrides));
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
    expect(response.errors?.[0]?.message.length).toBeGreaterThan(10);
    // Nothing was written: not even the profile of the signal's (default) anonymous id.
    const lookup = await gql(LookupProfileDocument, { identity: { anonymousId: 'anon-1' } }, ops);
    expect(lookup.data?.lookupProfile).toBeNull();
  });

  it('stores a signal sent with only an anonymous id on the profile identify linked it to, and the payload carries the email', async () => {
    await connectAndRollOut('ON');
    const profile = (await gql(IdentifyDocument, { identity: { anonymousId: 'anon-1', email: ' Ada@Example.com ' }, attributes: { first_name: 'Ada' } }, storefront)).data!.identify;
    expect(profile).toMatchObject({ email: 'ada@example.com', attributes: { first_name: 'Ada' } });
    const recorded = (await record(signal())).data!.recordSignal;
    expect(recorded.duplicate).toBe(false);
    expect(recorded.signal.profile).toMatchObject({ id: profile.id, email: 'ada@example.com' });
    const [delivery] = recorded.signal.deliveries;
    expect(delivery).toMatchObject({ environment: 'PRODUCTION', status: 'QUEUED', attempts: 0 });
    const attributes = (delivery!.payload as { data: { attributes: Record<string, unknown> } }).data.attributes;
    expect(attributes).toMatchObject({
      unique_id: recorded.signal.idempotencyKey,
      time: recorded.signal.occurredAt,
      value: 119.5,
      value_currency: 'USD',
      properties: cart,
      metric: { data: { type: 'metric', attributes: { name: 'Cart Abandonment' } } },
      profile: { data: { type: 'profile', attributes: { email: 'ada@example.com', anonymous_id: 'anon-1' } } },
    });
  });

  it('stores and sends a national phone number as E.164', async () => {
    await connectAndRollOut('ON');
    const recorded = (await record(signal({ identity: { phone: '(415) 555-2671' } }))).data!.recordSignal.signal;
    expect(recorded.profile?.phone).toBe('+14155552671');
    expect(JSON.stringify(recorded.deliveries[0]!.payload)).toContain('"phone_number":"+14155552671"');
  });

  it('answers 20 concurrent calls with one idempotency key with one signal and 19 duplicates', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => record(signal({ idempotencyKey: 'cart-c_1-v1' }))));
    const payloads = responses.map((r) => r.data!.recordSignal);
    expect(payloads.filter((p) => !p.duplicate)).toHaveLength(1);
    expect(payloads.filter((p) => p.duplicate)).toHaveLength(19);
    expect(new Set(payloads.map((p) => p.signal.id)).size).toBe(1);
  });

  it('never creates two profiles for the same new identifiers sent concurrently', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => record(signal({ identity: { email: 'first-time@example.com', anonymousId: `tab-${i % 3}` }, idempotencyKey: `first-${i}` }))));
    const profiles = new Set(responses.map((r) => r.data!.recordSignal.signal.profile!.id));
    expect(profiles.size).toBe(1);
  });

  it('records 493 of 500 inputs and reports the 7 bad ones by index', async () => {
    const bad = new Set([3, 50, 99, 250, 251, 400, 499]);
    const inputs = Array.from({ length: 500 }, (_, i) => (bad.has(i) ? signal({ identity: { email: `broken-${i}` } }) : signal({ identity: { anonymousId: `anon-${i}` }, idempotencyKey: `k-${i}` })));
    const outcome = (await gql(RecordSignalsDocument, { inputs }, storefront)).data!.recordSignals;
    expect(outcome.accepted).toBe(493);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.signals).toHaveLength(493);
    expect(outcome.errors.map((e) => e.index)).toEqual([...bad]);
    expect(outcome.errors[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: 'identity.email' });
    const tooMany = await gql(RecordSignalsDocument, { inputs: Array.from({ length: 501 }, () => signal()) }, storefront);
    expect(tooMany.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'inputs' } });
  });

  it('SHADOW builds and stores a valid payload and marks it SHADOWED', async () => {
    await connectAndRollOut('SHADOW');
    const [delivery] = (await record(signal())).data!.recordSignal.signal.deliveries;
    expect(delivery).toMatchObject({ status: 'SHADOWED' });
    expect((delivery!.payload as { data: { type: string } }).data.type).toBe('event');
  });

  it('ON at 50% gives deliveries to about half of 1,000 profiles, the same half every run', async () => {
    await connectAndRollOut('ON', 50);
    const inputs = (run: number) => Array.from({ length: 500 }, (_, i) => signal({ identity: { externalId: `customer-${i + run * 500}` }, idempotencyKey: `half-${i + run * 500}` }));
    const first = [...(await gql(RecordSignalsDocument, { inputs: inputs(0) }, storefront)).data!.recordSignals.signals, ...(await gql(RecordSignalsDocument, { inputs: inputs(1) }, storefront)).data!.recordSignals.signals];
    const withDelivery = async (ids: string[]) => {
      const flags = await Promise.all(ids.map(async (id) => (await gql(SignalDocument, { id }, ops)).data!.signal!.deliveries.length > 0));
      return ids.filter((_, i) => flags[i]);
    };
    const firstHalf = await withDelivery(first.map((s) => s.id));
    expect(firstHalf.length).toBeGreaterThan(440);
    expect(firstHalf.length).toBeLessThan(560);
    // The same profiles again (new signals): the same ones get deliveries.
    const againInputs = (run: number) => inputs(run).map((input, i) => ({ ...input, idempotencyKey: `again-${i + run * 500}` }));
    const again = [...(await gql(RecordSignalsDocument, { inputs: againInputs(0) }, storefront)).data!.recordSignals.signals, ...(await gql(RecordSignalsDocument, { inputs: againInputs(1) }, storefront)).data!.recordSignals.signals];
    const againHalf = new Set(await withDelivery(again.map((s) => s.id)));
    expect(again.map((s, i) => againHalf.has(s.id) === firstHalf.includes(first[i]!.id)).every(Boolean)).toBe(true);
  });

  it("keeps brands apart: another brand's signals and profiles read as missing", async () => {
    const recorded = (await record(signal({ identity: { email: 'ada@example.com' } }))).data!.recordSignal.signal;
    const globex = env.gateway.token({ brand: 'globex', scopes: [Scope.OpsRead, Scope.SignalsWrite] });
    expect((await gql(SignalDocument, { id: recorded.id }, globex)).data!.signal).toBeNull();
    expect((await gql(ProfileDocument, { id: recorded.profile!.id }, globex)).data!.profile).toBeNull();
    expect((await gql(LookupProfileDocument, { identity: { email: 'ada@example.com' } }, globex)).data!.lookupProfile).toBeNull();
    // Their own metric namespace: globex has no cart_abandonment.
    expect(codesOf(await record(signal(), globex))).toEqual(['BAD_USER_INPUT']);
  });

  it('needs signals:write to record and ops:read to read', async () => {
    expect(codesOf(await record(signal(), ops))).toEqual(['FORBIDDEN']);
    const recorded = (await record(signal())).data!.recordSignal.signal;
    expect(codesOf(await gql(SignalDocument, { id: recorded.id }, storefront))).toEqual(['FORBIDDEN']);
    expect((await gql(SignalDocument, { id: recorded.id }, ops)).data!.signal?.metric).toEqual({ key: 'cart_abandonment', name: 'Cart Abandonment' });
  });
});

