import { Scope, mintCallerToken } from '../../src/auth';
import { loadConfig } from '../../src/config';
import { FakeKlaviyo } from '../fakes/klaviyo';
import { ConnectKlaviyoApiKeyDocument, DeliveryStatsDocument, InstallStandardMetricsDocument, RecordSignalsDocument, SetMetricRolloutDocument } from '../generated/graphql';
import { tempDataDir } from '../support/env';
import { graphqlRequest } from '../support/graphql-client';
import { spawnGateway, type GatewayProcess } from '../support/process';

const SIGNALS = 3000;

describe('delivery across kill -9', () => {
  let fake: FakeKlaviyo;
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    gateway?.kill('SIGKILL');
    await gateway?.exited;
    await fake.stop();
  });

  it(`delivers ${SIGNALS} signals exactly once by unique_id although the gateway is killed 3 times mid-delivery`, async () => {
    fake = await FakeKlaviyo.start();
    fake.addApiKey('pk_crash_key_0123456789');
    // Slow enough that every kill lands with bulk jobs in flight.
    fake.latencyMs = 700;
    const env = { NODE_ENV: 'development', PORT: '0', DATA_DIR: tempDataDir(), LOG_LEVEL: 'info', KLAVIYO_API_URL: fake.url, DELIVERY_LEASE_SECONDS: '2' };
    const { config } = loadConfig(env);
    const token = mintCallerToken(config.jwt, { brand: 'acme', scopes: [Scope.SignalsWrite, Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite] });

    gateway = await spawnGateway({ env });
    const gql = <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables: V) => graphqlRequest<T, V>(gateway!.url, document, { token, variables });
    await gql(InstallStandardMetricsDocument, {});
    expect((await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_crash_key_0123456789' })).errors).toBeUndefined();
    await gql(SetMetricRolloutDocument, { key: 'browse_abandonment', rollout: { environment: 'PRODUCTION', mode: 'ON' } });
    for (let start = 0; start < SIGNALS; start += 500) {
      const inputs = Array.from({ length: 500 }, (_, i) => ({
        metric: 'browse_abandonment',
        identity: { externalId: `customer-${(start + i) % 300}` },
        properties: { ProductID: `p_${start + i}`, ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1' },
        idempotencyKey: `crash-${start + i}`,
      }));
      expect((await gql(RecordSignalsDocument, { inputs })).data!.recordSignals.accepted).toBe(500);
    }

    for (let kill = 0; kill < 3; kill += 1) {
      const sent = fake.requestsTo('/api/event-bulk-create-jobs').length;
      const deadline = Date.now() + 15_000;
      while (fake.requestsTo('/api/event-bulk-create-jobs').length === sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      gateway.kill('SIGKILL');
      await gateway.exited;
      gateway = await spawnGateway({ env });
    }

    const stats = async () => (await gql(DeliveryStatsDocument, { since: new Date(0).toISOString() })).data!.deliveryStats[0]!;
    const deadline = Date.now() + 60_000;
    while ((await stats()).delivered < SIGNALS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const final = await stats();
    expect(final).toMatchObject({ received: SIGNALS, delivered: SIGNALS, failed: 0, retrying: 0, held: 0 });
    const uniqueIds = new Set(fake.account().events.map((e) => e.uniqueId));
    expect(uniqueIds.size).toBe(SIGNALS);
    expect(fake.account().events).toHaveLength(SIGNALS);
    // Each kill landed with a bulk job in flight that Klaviyo still processed: the restarted gateway
    // sent those events again, and Klaviyo kept only the first of each (profile, metric, unique_id).
    expect(fake.account().deduplicated.length).toBeGreaterThan(0);
  }, 120_000);

  it('never has two worker processes on one store sending for the same connection at once', async () => {
    fake = await FakeKlaviyo.start();
    fake.addApiKey('pk_two_workers_0123456789');
    const env = { NODE_ENV: 'development', PORT: '0', DATA_DIR: tempDataDir(), LOG_LEVEL: 'info', KLAVIYO_API_URL: fake.url, DELIVERY_LEASE_SECONDS: '5' };
    const { config } = loadConfig(env);
    const token = mintCallerToken(config.jwt, { brand: 'acme', scopes: [Scope.SignalsWrite, Scope.OpsRead, Scope.OpsWrite, Scope.ConnectionsWrite] });
    const api = await spawnGateway({ env: { ...env, ROLE: 'api' } });
    const gql = <T, V extends Record<string, unknown>>(document: Parameters<typeof graphqlRequest<T, V>>[1], variables: V) => graphqlRequest<T, V>(api.url, document, { token, variables });
    await gql(InstallStandardMetricsDocument, {});
    await gql(ConnectKlaviyoApiKeyDocument, { environment: 'PRODUCTION', apiKey: 'pk_two_workers_0123456789' });
    await gql(SetMetricRolloutDocument, { key: 'browse_abandonment', rollout: { environment: 'PRODUCTION', mode: 'ON' } });
    for (let start = 0; start < 5000; start += 500) {
      const inputs = Array.from({ length: 500 }, (_, i) => ({ metric: 'browse_abandonment', identity: { externalId: `customer-${(start + i) % 400}` }, properties: { ProductID: `p_${start + i}`, ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1' }, idempotencyKey: `two-${start + i}` }));
      await gql(RecordSignalsDocument, { inputs });
    }
    api.kill('SIGTERM');
    await api.exited;

    // Each request takes 300 ms at Klaviyo: two senders at once would land requests closer than that.
    fake.latencyMs = 300;
    const workers = [await spawnGateway({ env: { ...env, ROLE: 'worker' } }), await spawnGateway({ env: { ...env, ROLE: 'worker' } })];
    try {
      const deadline = Date.now() + 60_000;
      while (fake.account().events.length < 5000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
    expect(new Set(fake.account().events.map((e) => e.uniqueId)).size).toBe(5000);
    const arrivals = fake.requests.filter((r) => r.path.startsWith('/api/event')).map((r) => r.at);
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(290);
  }, 120_000);
});
