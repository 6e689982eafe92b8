import { KlaviyoSchemaValidator } from '../../datasources/klaviyo';
import { buildEventPayload } from '../event-payload';

const validator = new KlaviyoSchemaValidator();
const signal = { properties: { ProductID: 'p1', Items: [{ Price: 1 }] }, occurredAt: new Date('2026-12-04T13:00:00.123Z'), value: 42.5, valueCurrency: 'USD', idempotencyKey: 'order-1' };

describe('buildEventPayload', () => {
  it('builds the JSON:API event Klaviyo documents, valid against its OpenAPI slice', () => {
    const payload = buildEventPayload({
      metricName: 'Cart Abandonment',
      signal,
      signalIdentifiers: [{ kind: 'ANONYMOUS_ID', value: 'anon-1' }],
      profile: { identifiers: [{ kind: 'ANONYMOUS_ID', value: 'anon-1' }, { kind: 'EMAIL', value: 'ada@example.com' }, { kind: 'PHONE', value: '+14155552671' }] },
    });
    expect(payload).toEqual({
      data: {
        type: 'event',
        attributes: {
          properties: signal.properties,
          time: '2026-12-04T13:00:00.123Z',
          value: 42.5,
          value_currency: 'USD',
          unique_id: 'order-1',
          metric: { data: { type: 'metric', attributes: { name: 'Cart Abandonment' } } },
          profile: { data: { type: 'profile', attributes: { email: 'ada@example.com', phone_number: '+14155552671', anonymous_id: 'anon-1' } } },
        },
      },
    });
    expect(validator.validate('create_event', payload)).toEqual([]);
  });

  it('sends the browser ids of this signal, not other ones the profile holds, and leaves out an absent value', () => {
    const payload = buildEventPayload({
      metricName: 'Browse Abandonment',
      signal: { ...signal, value: null, valueCurrency: null },
      signalIdentifiers: [{ kind: 'ANONYMOUS_ID', value: 'anon-2' }],
      profile: { identifiers: [{ kind: 'ANONYMOUS_ID', value: 'anon-1' }, { kind: 'ANONYMOUS_ID', value: 'anon-2' }, { kind: 'EXTERNAL_ID', value: 'c-9' }] },
    });
    expect(payload.data.attributes.profile).toEqual({ data: { type: 'profile', attributes: { external_id: 'c-9', anonymous_id: 'anon-2' } } });
    expect(payload.data.attributes).not.toHaveProperty('value');
    expect(validator.validate('create_event', payload)).toEqual([]);
  });
});
