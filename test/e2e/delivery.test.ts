import { Scope } from '../../src/auth';
import { DeliveryWorker } from '../../src/delivery';
import { Topic } from '../../src/pubsub';
import type { EmbeddedStore } from '../../src/store';
import { BeginKlaviyoAuthorizationDocument, ConnectKlaviyoApiKeyDocument, ConnectionsDocument, DisconnectDocument, ForgetProfileDocument, IdentifyDocument, DeliveriesDocument, RetryDeliveriesDocument, InstallStandardMetricsDocument, RecordSignalsDocument, SetMetricRolloutDocument, type SignalInput } from '../generated/graphql';
import { graphqlRequest } from '../support/graphql-client';
import { startGatewayWithKlaviyo, type KlaviyoEnvironment } from '../support/klaviyo-gateway';

const product = (i: number) => ({ ProductID: `p_${i}`, ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1', Price: 119.5, Currency: 'USD' });
const signal = (i: number, profiles: number): SignalInput => ({ metric: 'browse_abandonment', identity: { externalId: `customer-${i % profiles}` }, properties: product(i), idempotencyKey: `browse-${i}`, occurredAt: new Date(Date.UTC(2026, 11, 4, 12, 0, i % 60)).toISOString() });

async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('delivery engine (against the fake Klaviyo)', () => {
  let env: KlaviyoEnvironment;
  let worker: DeliveryWorker;
  let ops: string;
  let storefront: string;
  const gql = <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables: V, token = ops) => graphqlRequest<T, V>(env.gateway.url, document, { token, variables });
  const statuses = async () => {
    const rows = (env.gateway.store as EmbeddedStore).database.prepare('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };

  beforeEach(async () => {
    env = await startGatewayWithKlaviyo({ fake: { rateLimits: true } });
    env.fake.addApiKey('pk_delivery_key_0123456789');
    ops = env.gateway.token({ scopes: [Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite] });
    storefront = env.gateway.token({ scopes: [Scope.SignalsWrite] });
    await gql(InstallStandardMetricsDocument, {});
    await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_delivery_key_0123456789' });
    await gql(SetMetricRolloutDocument, { key: 'browse_abandonment', rollout: { environment: 'PRODUCTION', mode: 'ON' } });
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 20, random: () => 0 });
  });
  afterEach(async () => {
    await worker.stop();
    await env.stop();
  });

  const record = async (count: number, profiles: number) => {
    for (let start = 0; start < count; start += 500) {
      const inputs = Array.from({ length: Math.min(500, count - start) }, (_, i) => signal(start + i, profiles));
      const outcome = (await gql(RecordSignalsDocument, { inputs }, storefront)).data!.recordSignals;
      expect(outcome.errors).toEqual([]);
    }
  };

  it('routes new signals by the connections as they are now: none while disconnected, again once reconnected', async () => {
    // Intake reads a brand's live connections through a short cache; the connection service drops it on each change.
    const deliveriesOf = (key: string) =>
      (env.gateway.store as EmbeddedStore).database.prepare('SELECT count(*) FROM deliveries d JOIN signals s ON s.id = d.signal_id WHERE s.idempotency_key = ?').pluck().get(key);
    await record(1, 1);
    expect(deliveriesOf('browse-0')).toBe(1);
    const [connection] = (await gql(ConnectionsDocument, {})).data!.connections;
    await gql(DisconnectDocument, { connectionId: connection!.id });
    await gql(RecordSignalsDocument, { inputs: [signal(1, 1)] }, storefront);
    expect(deliveriesOf('browse-1')).toBe(0);
    await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_delivery_key_0123456789' });
    await gql(RecordSignalsDocument, { inputs: [signal(2, 1)] }, storefront);
    expect(deliveriesOf('browse-2')).toBe(1);
  });

  it('delivers 2,000 signals over 50 profiles exactly once, with their metric, identity, properties, unique_id and time, mostly in bulk', async () => {
    await record(2000, 50);
    const published = new Map<string, number>();
    env.gateway.services.bus.subscribe(Topic.DeliveryUpdated, (update) => published.set(update.status, (published.get(update.status) ?? 0) + update.deliveryIds.length));
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 20, bus: env.gateway.services.bus });
    worker.start();
    await until(async () => (await statuses()).DELIVERED === 2000);
    const events = env.fake.account().events;
    expect(events).toHaveLength(2000);
    expect(new Set(events.map((e) => e.uniqueId)).size).toBe(2000);
    const first = events.find((e) => e.uniqueId === 'browse-7')!;
    expect(first).toMatchObject({ metricName: 'Browse Abandonment', attributes: { properties: product(7), time: new Date(Date.UTC(2026, 11, 4, 12, 0, 7)).toISOString() } });
    const requests = [...env.fake.requestsTo('/api/event-bulk-create-jobs'), ...env.fake.requestsTo('/api/events')];
    expect(requests.every((r) => r.violations.length === 0)).toBe(true);
    expect(env.fake.requestsTo('/api/event-bulk-create-jobs').filter((r) => r.status === 202).length).toBe(2);
    expect(env.fake.account().profiles.size).toBe(50);
    // Every status change went out on the bus: 2,000 claimed, 2,000 delivered.
    await new Promise((resolve) => setImmediate(resolve));
    expect(Object.fromEntries(published)).toEqual({ DELIVERING: 2000, DELIVERED: 2000 });
  });

  it('gets every signal through exactly once while 20% of requests fail with 503 and 5% of sockets drop', async () => {
    await record(600, 60);
    // A seeded generator: the same chaos every run.
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    env.fake.chaos = { failRatio: 0.2, status: 503, dropRatio: 0.05, path: /^\/api\/event/, random };
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 20, batchLimit: 20, random: () => 0, retryPolicy: { retryWindowMs: 3_600_000, baseDelayMs: 1, maxDelayMs: 5 } });
    worker.start();
    await until(async () => (await statuses()).DELIVERED === 600, 60_000);
    const sends = env.fake.requests.filter((r) => r.path.startsWith('/api/event'));
    expect(sends.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(sends.filter((r) => r.status === -1).length).toBeGreaterThan(0);
    expect(new Set(env.fake.account().events.map((e) => e.uniqueId)).size).toBe(600);
    expect(env.fake.account().events).toHaveLength(600);
  });

  it('fails the one event Klaviyo refuses inside a bulk job with its pointer, and delivers the rest', async () => {
    await record(500, 100);
    // A payload Klaviyo refuses: a metric name of 128 characters in one stored event.
    const db = (env.gateway.store as EmbeddedStore).database;
    const victim = db.prepare("SELECT d.id FROM deliveries d JOIN signals s ON s.id = d.signal_id WHERE s.idempotency_key = 'browse-250'").pluck().get() as string;
    const payload = JSON.parse(db.prepare('SELECT payload FROM deliveries WHERE id = ?').pluck().get(victim) as string);
    payload.data.attributes.metric.data.attributes.name = 'x'.repeat(128);
    db.prepare('UPDATE deliveries SET payload = ? WHERE id = ?').run(JSON.stringify(payload), victim);
    worker.start();
    await until(async () => (await statuses()).DELIVERED === 499 && (await statuses()).FAILED === 1);
    const failed = (await gql(DeliveriesDocument, { filter: { status: ['FAILED'] } })).data!.deliveries.edges[0]!.node;
    expect(failed.id).toBe(victim);
    const [unhealthy] = (await gql(ConnectionsDocument, {})).data!.connections;
    expect(unhealthy!.health).toMatchObject({ state: 'PAYLOAD_ERRORS', summary: expect.stringMatching(/^Events arrive \(499 in the last hour\), but Klaviyo refused 1 Browse Abandonment event: Metric names must be shorter than 128 characters/) });
    expect(unhealthy!.health.lastDeliveredAt).not.toBeNull();
    const row = JSON.parse(db.prepare('SELECT failure FROM deliveries WHERE id = ?').pluck().get(victim) as string);
    expect(row).toMatchObject({ category: 'PAYLOAD', httpStatus: 400, pointer: expect.stringMatching(/^\/data\/attributes\/events-bulk-create\/data\/\d+\/attributes\/events\/data\/\d+/) });
    expect(env.fake.account().events).toHaveLength(499);

    // Fixed at the source, replayed: retryDeliveries requeues exactly the failed one.
    payload.data.attributes.metric.data.attributes.name = 'Browse Abandonment';
    db.prepare('UPDATE deliveries SET payload = ? WHERE id = ?').run(JSON.stringify(payload), victim);
    expect((await gql(RetryDeliveriesDocument, { filter: { status: ['FAILED'] } })).data!.retryDeliveries).toBe(1);
    await until(async () => (await statuses()).DELIVERED === 500);
    expect(env.fake.account().events).toHaveLength(500);
    expect((await gql(RetryDeliveriesDocument, { filter: {} })).data!.retryDeliveries).toBe(0);
  });

  it('holds deliveries when Klaviyo refuses the key, and sends them all once after reconnecting', async () => {
    await record(200, 20);
    env.fake.account().account.apiKeys.delete('pk_delivery_key_0123456789');
    worker.start();
    await until(async () => (await statuses()).HELD === 200);
    const [connection] = (await gql(ConnectionsDocument, {})).data!.connections;
    expect(connection).toMatchObject({ status: 'NEEDS_REAUTH', health: { state: 'AUTH_BROKEN', heldDeliveries: 200 } });
    expect(env.fake.account().events).toHaveLength(0);

    env.fake.addApiKey('pk_delivery_key_new_0123456789');
    const reconnected = (await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_delivery_key_new_0123456789' })).data!.connectKlaviyoApiKey;
    expect(reconnected.id).toBe(connection!.id);
    await until(async () => (await statuses()).DELIVERED === 200);
    expect(new Set(env.fake.account().events.map((e) => e.uniqueId)).size).toBe(200);
    expect(env.fake.account().events).toHaveLength(200);
  });

  it('holds deliveries when the OAuth grant is revoked mid-run, and sends all of them once after the app is reinstalled', async () => {
    const [keyed] = (await gql(ConnectionsDocument, {})).data!.connections;
    await gql(DisconnectDocument, { connectionId: keyed!.id });
    const install = async () => {
      const begin = (await gql(BeginKlaviyoAuthorizationDocument, { environment: 'PRODUCTION' })).data!.beginKlaviyoAuthorization;
      const consent = await fetch(begin.authorizeUrl, { redirect: 'manual' });
      const callback = await fetch(consent.headers.get('location')!);
      expect(callback.status).toBe(200);
      await callback.text();
    };
    await install();
    await record(300, 30);
    env.fake.latencyMs = 50;
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 20, batchLimit: 50 });
    worker.start();
    await until(async () => ((await statuses()).DELIVERED ?? 0) >= 50);
    env.fake.oauth.revokeAll();
    await until(async () => ((await statuses()).HELD ?? 0) > 0 && (await statuses()).DELIVERING === undefined);
    const [broken] = (await gql(ConnectionsDocument, {})).data!.connections;
    expect(broken).toMatchObject({ id: keyed!.id, status: 'NEEDS_REAUTH', lastError: { code: 'invalid_grant' }, health: { state: 'AUTH_BROKEN' } });
    expect(broken!.health.heldDeliveries).toBeGreaterThan(0);

    await install();
    await until(async () => (await statuses()).DELIVERED === 300);
    expect(new Set(env.fake.account().events.map((e) => e.uniqueId)).size).toBe(300);
    expect(env.fake.account().events).toHaveLength(300);
  });

  it("pauses a connection for Retry-After on a 429 while another brand's connection keeps sending", async () => {
    await env.fake.stop();
    await env.gateway.stop();
    env = await startGatewayWithKlaviyo({ fake: { accounts: [{ id: 'ACME01' }, { id: 'GLOBEX' }] } });
    env.fake.addApiKey('pk_acme_key_0123456789', undefined, 'ACME01');
    env.fake.addApiKey('pk_globex_key_0123456789', undefined, 'GLOBEX');
    for (const [brand, key] of [['acme', 'pk_acme_key_0123456789'], ['globex', 'pk_globex_key_0123456789']] as const) {
      const token = env.gateway.token({ brand, scopes: [Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite, Scope.SignalsWrite] });
      await graphqlRequest(env.gateway.url, InstallStandardMetricsDocument, { token });
      await graphqlRequest(env.gateway.url, ConnectKlaviyoApiKeyDocument, { token, variables: { environment: 'PRODUCTION', apiKey: key } });
      await graphqlRequest(env.gateway.url, SetMetricRolloutDocument, { token, variables: { key: 'browse_abandonment', rollout: { environment: 'PRODUCTION', mode: 'ON' } } });
      await graphqlRequest(env.gateway.url, RecordSignalsDocument, { token, variables: { inputs: Array.from({ length: 100 }, (_, i) => signal(i, 10)) } });
    }
    env.fake.failNext(1, 429, { headers: { 'Retry-After': '2' }, authorization: 'Klaviyo-API-Key pk_acme_key_0123456789' });
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 20, batchLimit: 10 });
    worker.start();
    await until(async () => (await statuses()).DELIVERED === 200, 30_000);
    const sends = (key: string) => env.fake.requests.filter((r) => r.path.startsWith('/api/event') && r.headers.authorization === `Klaviyo-API-Key ${key}`);
    const acme = sends('pk_acme_key_0123456789');
    const throttledAt = acme.find((r) => r.status === 429)!.at;
    const nextAcme = acme.find((r) => r.at > throttledAt)!.at;
    expect(nextAcme - throttledAt).toBeGreaterThanOrEqual(2000);
    const globexMeanwhile = sends('pk_globex_key_0123456789').filter((r) => r.at > throttledAt && r.at < nextAcme && r.status === 202);
    expect(globexMeanwhile.length).toBeGreaterThan(0);
    expect(new Set(env.fake.account('ACME01').events.map((e) => e.uniqueId)).size).toBe(100);
  });

  it('sends what identify learns as one profile-import, and shows a 409 as a PAYLOAD failure naming the duplicate profile', async () => {
    worker.start();
    await gql(IdentifyDocument, { identity: { externalId: 'c-42', phone: '(415) 555-2671' }, attributes: { first_name: 'Ada', favourite_colour: 'teal' } }, storefront);
    await until(async () => env.fake.requestsTo('/api/profile-import').some((r) => r.status === 201));
    const [imported] = env.fake.requestsTo('/api/profile-import');
    expect(imported!.body).toEqual({ data: { type: 'profile', attributes: { phone_number: '+14155552671', external_id: 'c-42', first_name: 'Ada', properties: { favourite_colour: 'teal' } } } });
    // Identifying the same again changes nothing: no second import.
    await gql(IdentifyDocument, { identity: { externalId: 'c-42' } }, storefront);

    // Klaviyo already has these two identifiers on two different profiles.
    env.fake.account().upsertProfile({ email: 'grace@example.com' });
    const other = env.fake.account().upsertProfile({ phone_number: '+14155550123' });
    await gql(IdentifyDocument, { identity: { email: 'grace@example.com', phone: '(415) 555-0123' } }, storefront);
    await until(async () => env.fake.requestsTo('/api/profile-import').some((r) => r.status === 409));
    const duplicateId = 'profile' in other ? other.profile.id : '';
    await until(async () => (await gql(ConnectionsDocument, {})).data!.connections[0]!.health.state === 'PAYLOAD_ERRORS');
    const [connection] = (await gql(ConnectionsDocument, {})).data!.connections;
    expect(connection!.health.summary).toContain('Klaviyo refused 1 profile update: A profile already exists with one of these identifiers.');
    expect(connection!.health.summary).toContain(duplicateId);
    expect(env.fake.requestsTo('/api/profile-import').filter((r) => r.status === 201 || r.status === 200)).toHaveLength(1);
  });

  it("sends forgetProfile's deletion request to Klaviyo", async () => {
    const profile = (await gql(IdentifyDocument, { identity: { email: 'gone@example.com' } }, storefront)).data!.identify;
    const eraser = env.gateway.token({ scopes: [Scope.ProfilesErase] });
    expect((await gql(ForgetProfileDocument, { id: profile.id }, eraser)).data!.forgetProfile).toBe(true);
    worker.start();
    await until(async () => env.fake.account().deletionJobs.length === 1);
    expect(env.fake.account().deletionJobs[0]).toMatchObject({ profile: { data: { type: 'profile', attributes: { email: 'gone@example.com' } } } });
    await until(async () => (await env.gateway.store.intake.deletionRequests('acme'))[0]?.status === 'SENT');
  });

  it('never lets two workers send for one connection at once', async () => {
    await record(1000, 10);
    const second = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 5, batchLimit: 100 });
    worker = new DeliveryWorker({ store: env.gateway.store, connections: env.gateway.services.connections, logger: env.gateway.logger, pollIntervalMs: 5, batchLimit: 100 });
    env.fake.latencyMs = 30;
    let inFlight = 0;
    let maxInFlight = 0;
    const original = env.fake.requests.push.bind(env.fake.requests);
    env.fake.requests.push = (...items) => {
      const bulk = items.filter((r) => r.path.startsWith('/api/event')).length;
      inFlight += bulk;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => (inFlight -= bulk), 25);
      return original(...items);
    };
    worker.start();
    second.start();
    try {
      await until(async () => (await statuses()).DELIVERED === 1000, 30_000);
    } finally {
      await second.stop();
    }
    expect(maxInFlight).toBe(1);
    expect(env.fake.account().events).toHaveLength(1000);
  });
});
