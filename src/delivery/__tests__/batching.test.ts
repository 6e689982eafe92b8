import { KlaviyoSchemaValidator } from '../../datasources/klaviyo';
import { eventsAtPointer, planRequests, type DueEvent } from '../batching';
import { buildEventPayload } from '../event-payload';

const validator = new KlaviyoSchemaValidator();
const due = (i: number, profile = i % 3, uniqueId = `u-${i}`, padding = 0): DueEvent => ({
  deliveryId: `d-${i}`,
  payload: buildEventPayload({
    metricName: 'Cart Abandonment',
    signal: { properties: { n: i, pad: 'x'.repeat(padding) }, occurredAt: new Date('2026-12-04T13:00:00Z'), value: null, valueCurrency: null, idempotencyKey: uniqueId },
    signalIdentifiers: [{ kind: 'ANONYMOUS_ID', value: `anon-${profile}` }],
    profile: { identifiers: [{ kind: 'ANONYMOUS_ID', value: `anon-${profile}` }] },
  }),
});

describe('planRequests', () => {
  it('sends a lone event to POST /api/events', () => {
    expect(planRequests([due(1)])).toEqual([{ kind: 'single', event: due(1) }]);
  });

  it('groups events under their profile in one bulk job that Klaviyo\'s schema accepts', () => {
    const plans = planRequests(Array.from({ length: 9 }, (_, i) => due(i)));
    expect(plans).toHaveLength(1);
    const plan = plans[0]!;
    if (plan.kind !== 'bulk') throw new Error('expected a bulk request');
    expect(plan.events.map((e) => e.deliveryId)).toEqual(Array.from({ length: 9 }, (_, i) => `d-${i}`));
    const entries = plan.body.data.attributes['events-bulk-create'].data as Array<{ attributes: { profile: unknown; events: { data: unknown[] } } }>;
    expect(entries).toHaveLength(3);
    expect(entries.map((e) => e.attributes.events.data.length)).toEqual([3, 3, 3]);
    expect(validator.validate('bulk_create_events', plan.body)).toEqual([]);
  });

  it('splits at 1,000 events and under 5 MB', () => {
    const byCount = planRequests(Array.from({ length: 2500 }, (_, i) => due(i, i)));
    expect(byCount.map((p) => (p.kind === 'bulk' ? p.events.length : 1))).toEqual([1000, 1000, 500]);
    const big = planRequests(Array.from({ length: 60 }, (_, i) => due(i, i, `u-${i}`, 200 * 1024)));
    for (const plan of big) expect(Buffer.byteLength(JSON.stringify(plan.kind === 'bulk' ? plan.body : plan.event.payload))).toBeLessThan(5 * 1024 * 1024);
    expect(big.length).toBeGreaterThan(1);
    expect(big.flatMap((p) => (p.kind === 'bulk' ? p.events : [p.event])).map((e) => e.deliveryId)).toEqual(Array.from({ length: 60 }, (_, i) => `d-${i}`));
  });

  it('never puts one unique_id twice for a profile and metric in one request', () => {
    const plans = planRequests([due(1, 7, 'same'), due(2, 7, 'same'), due(3, 8, 'same'), due(4, 7, 'other')]);
    expect(plans.map((p) => (p.kind === 'bulk' ? p.events.map((e) => e.deliveryId) : [p.event.deliveryId]))).toEqual([['d-1', 'd-3', 'd-4'], ['d-2']]);
  });
});

describe('eventsAtPointer', () => {
  const events = [due(1, 1), due(2, 2), due(3, 1)]; // entries: profile 1 -> [d-1, d-3], profile 2 -> [d-2]
  it.each([
    ['/data/attributes/events-bulk-create/data/0/attributes/events/data/1/attributes/time', ['d-3']],
    ['/data/attributes/events-bulk-create/data/1/attributes/events/data/0', ['d-2']],
    ['/data/attributes/events-bulk-create/data/0/attributes/profile/data/attributes/email', ['d-1', 'd-3']],
    ['/data/attributes/events-bulk-create/data/5/attributes/events/data/0', []],
    ['/data', []],
  ])('%s names %j', (pointer, ids) => {
    expect(eventsAtPointer(events, pointer).map((e) => e.deliveryId)).toEqual(ids);
  });
});
