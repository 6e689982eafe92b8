import { KlaviyoSchemaValidator } from '../openapi-validator';

const validator = new KlaviyoSchemaValidator();
const event = (attributes: Record<string, unknown>) => ({ data: { type: 'event', attributes } });
const good = {
  properties: { ProductID: 'p1' },
  time: '2026-12-04T13:00:00Z',
  unique_id: 'abc',
  metric: { data: { type: 'metric', attributes: { name: 'Cart Abandonment' } } },
  profile: { data: { type: 'profile', attributes: { email: 'a@example.com' } } },
};

describe('KlaviyoSchemaValidator (Klaviyo OpenAPI slices)', () => {
  it('accepts a create_event body as Klaviyo documents it, nullable fields included', () => {
    expect(validator.validate('create_event', event({ ...good, value: null }))).toEqual([]);
  });

  it('points at what is missing or mistyped', () => {
    const { metric: _metric, ...withoutMetric } = good;
    expect(validator.validate('create_event', event(withoutMetric))).toEqual([{ pointer: '/data/attributes/metric', message: "must have required property 'metric'" }]);
    expect(validator.validate('create_event', event({ ...good, time: 'yesterday' }))[0]?.pointer).toBe('/data/attributes/time');
    expect(validator.validate('create_event', { data: { ...event(good).data, type: 'metric' } })[0]?.pointer).toBe('/data/type');
  });

  it('validates the other request bodies the gateway sends', () => {
    expect(validator.validate('create_or_update_profile', { data: { type: 'profile', attributes: { email: 'a@example.com', phone_number: '+14155552671' } } })).toEqual([]);
    expect(validator.validate('request_profile_deletion', { data: { type: 'data-privacy-deletion-job', attributes: {} } }).length).toBeGreaterThan(0);
    expect(validator.validate('bulk_create_events', {})[0]?.pointer).toBe('/data');
  });
});
