import { FailureCategory, KlaviyoAPI, KlaviyoFailure } from '../../../../src/datasources/klaviyo';
import { FakeKlaviyo } from '..';

/** The fake's own behaviors that later delivery tests rely on (docs/klaviyo.md, "behaviors a faithful fake must reproduce"). */
const KEY = 'pk_fake_behaviors_0123456789';
const eventAttributes = (uniqueId: string, email = 'a@example.com') => ({
  properties: { ProductID: 'p1' },
  time: '2026-12-04T13:00:00Z',
  unique_id: uniqueId,
  metric: { data: { type: 'metric', attributes: { name: 'Cart Abandonment' } } },
  profile: { data: { type: 'profile', attributes: { email } } },
});
const bulk = (entries: Array<{ email: string; uniqueIds: string[] }>) => ({
  data: {
    type: 'event-bulk-create-job' as const,
    attributes: {
      'events-bulk-create': {
        data: entries.map(({ email, uniqueIds }) => ({
          type: 'event-bulk-create',
          attributes: {
            profile: { data: { type: 'profile', attributes: { email } } },
            events: { data: uniqueIds.map((id) => ({ type: 'event', attributes: { properties: { n: id }, time: '2026-12-04T13:00:00Z', unique_id: id, metric: { data: { type: 'metric', attributes: { name: 'Browse Abandonment' } } } } })) },
          },
        })),
      },
    },
  },
});
const failureOf = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a failure'); }, (error: KlaviyoFailure) => error);

describe('fake Klaviyo', () => {
  let fake: FakeKlaviyo;
  let api: KlaviyoAPI;
  beforeEach(async () => {
    fake = await FakeKlaviyo.start();
    fake.addApiKey(KEY);
    api = new KlaviyoAPI({ baseUrl: fake.url, revision: '2026-07-15', credentials: { authorization: async () => `Klaviyo-API-Key ${KEY}` } });
  });
  afterEach(() => fake.stop());

  it('keeps the first event of a (profile, metric, unique_id) and still answers 202 to the repeat', async () => {
    await api.createEvent({ data: { type: 'event', attributes: eventAttributes('u1') } });
    expect((await api.createEvent({ data: { type: 'event', attributes: eventAttributes('u1') } })).status).toBe(202);
    await api.createEvent({ data: { type: 'event', attributes: eventAttributes('u1', 'b@example.com') } });
    expect(fake.account().events.map((e) => e.uniqueId)).toEqual(['u1', 'u1']);
    expect(fake.account().deduplicated).toHaveLength(1);
    expect([...fake.account().metrics.keys()]).toEqual(['Cart Abandonment']);
  });

  it('accepts a bulk job grouped by profile, and fails the whole job on a duplicate unique_id or over 1,000 events', async () => {
    expect((await api.bulkCreateEvents(bulk([{ email: 'a@example.com', uniqueIds: ['1', '2'] }, { email: 'b@example.com', uniqueIds: ['1'] }]))).status).toBe(202);
    expect(fake.account().events.filter((e) => e.via === 'bulk')).toHaveLength(3);
    const duplicate = await failureOf(api.bulkCreateEvents(bulk([{ email: 'c@example.com', uniqueIds: ['9', '9'] }])));
    expect(duplicate).toMatchObject({ category: FailureCategory.PAYLOAD, pointer: '/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes/unique_id' });
    const tooMany = await failureOf(api.bulkCreateEvents(bulk([{ email: 'd@example.com', uniqueIds: Array.from({ length: 1001 }, (_, i) => String(i)) }])));
    expect(tooMany.detail).toMatch(/at most 1000 events/);
    expect(fake.account().events).toHaveLength(3);
  });

  it('imports profiles: 201 then 200, null clears, 409 duplicate_profile across profiles, anonymous_id refused', async () => {
    const created = await api.importProfile({ data: { type: 'profile', attributes: { email: 'a@example.com', first_name: 'Ada' } } });
    expect(created).toMatchObject({ status: 201, data: { created: true } });
    const updated = await api.importProfile({ data: { type: 'profile', attributes: { email: 'a@example.com', first_name: null, phone_number: '+14155552671' } } });
    expect(updated).toMatchObject({ status: 200, data: { profileId: created.data.profileId } });
    expect(fake.account().profiles.get(created.data.profileId)!.attributes).toEqual({ email: 'a@example.com', phone_number: '+14155552671' });
    const other = await api.importProfile({ data: { type: 'profile', attributes: { email: 'b@example.com' } } });
    const conflict = await failureOf(api.importProfile({ data: { type: 'profile', attributes: { email: 'b@example.com', phone_number: '+14155552671' } } }));
    expect(conflict).toMatchObject({ httpStatus: 409, code: 'duplicate_profile', pointer: '/data/attributes', category: FailureCategory.PAYLOAD });
    expect([other.data.profileId, created.data.profileId]).toContain(conflict.meta?.duplicate_profile_id);
    const anonymous = await failureOf(api.importProfile({ data: { type: 'profile', attributes: { anonymous_id: 'anon-1' } } }));
    expect(anonymous).toMatchObject({ httpStatus: 400, pointer: '/data/attributes/anonymous_id' });
  });

  it('lists event-made metrics, filtering only on integration fields', async () => {
    await api.createEvent({ data: { type: 'event', attributes: eventAttributes('u1') } });
    expect((await api.getMetrics()).data.metrics.map((m) => m.name)).toEqual(['Cart Abandonment']);
    expect((await api.getMetrics({ filter: 'equals(integration.category,"API")' })).data.metrics).toHaveLength(1);
    expect((await failureOf(api.getMetrics({ filter: 'equals(name,"Cart Abandonment")' }))).httpStatus).toBe(400);
  });

  it('accepts profile deletion jobs and rejects bodies the OpenAPI slice does not allow', async () => {
    expect((await api.requestProfileDeletion({ data: { type: 'data-privacy-deletion-job', attributes: { profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } } } } })).status).toBe(202);
    expect(fake.account().deletionJobs).toHaveLength(1);
    expect(fake.requests.every((r) => r.violations.length === 0)).toBe(true);
    const bad = await failureOf(api.createEvent({ data: { type: 'event', attributes: { ...eventAttributes('u2'), value: 'ten' } } }));
    expect(bad).toMatchObject({ httpStatus: 400, pointer: '/data/attributes/value' });
    expect(fake.requests.at(-1)!.violations[0]).toMatchObject({ pointer: '/data/attributes/value' });
  });

  it('applies burst and steady windows per account and app, with Retry-After and no RateLimit-* on a 429', async () => {
    let now = Date.UTC(2026, 11, 4, 13, 0, 0, 0);
    const timed = await FakeKlaviyo.start({ clock: () => now });
    timed.addApiKey(KEY);
    const metrics = () => fetch(`${timed.url}/api/metrics`, { headers: { authorization: `Klaviyo-API-Key ${KEY}`, revision: '2026-07-15' } });
    try {
      const burst = await Promise.all(Array.from({ length: 12 }, metrics));
      expect(burst.filter((r) => r.status === 200)).toHaveLength(10); // get_metrics: 10/s
      const throttled = burst.find((r) => r.status === 429)!;
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(throttled.headers.get('ratelimit-limit')).toBeNull();
      expect(((await throttled.json()) as { errors: unknown[] }).errors[0]).toMatchObject({ status: 429, code: 'throttled', title: 'Request was throttled.' });
      const ok = burst.find((r) => r.status === 200)!;
      expect(ok.headers.get('ratelimit-limit')).toBe('10, 10;w=1, 150;w=60');

      // The steady window: 150 a minute, whatever the bursts.
      for (let second = 1; second < 15; second += 1) {
        now += 1000;
        expect((await Promise.all(Array.from({ length: 10 }, metrics))).map((r) => r.status)).toEqual(Array(10).fill(200));
      }
      now += 1000;
      const overMinute = await metrics();
      expect(overMinute.status).toBe(429);
      expect(overMinute.headers.get('retry-after')).toBe('45');
      now += 45_000;
      expect((await metrics()).status).toBe(200);
    } finally {
      await timed.stop();
    }
  });

  it('adds latency and drops sockets on request', async () => {
    fake.latencyMs = 120;
    const started = Date.now();
    await api.createEvent({ data: { type: 'event', attributes: eventAttributes('slow') } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    fake.latencyMs = 0;
    fake.dropNext(1);
    expect((await failureOf(api.createEvent({ data: { type: 'event', attributes: eventAttributes('drop') } }))).category).toBe(FailureCategory.NETWORK);
    expect((await api.createEvent({ data: { type: 'event', attributes: eventAttributes('after') } })).status).toBe(202);
  });
});
