import { normalizeEmail, normalizeIdentity, normalizePhone } from '../identifiers';

describe('identifier normalization', () => {
  it.each([
    ['  Ada.Lovelace@Example.COM ', 'ada.lovelace@example.com'],
    ['a+tag@sub.example.co.uk', 'a+tag@sub.example.co.uk'],
  ])('email %j -> %j', (raw, normalized) => expect(normalizeEmail(raw)).toBe(normalized));

  it.each(['ada', 'ada@', '@example.com', 'ada@example', 'a da@example.com', `${'a'.repeat(250)}@example.com`])('refuses the email %j', (raw) => {
    expect(normalizeEmail(raw)).toMatchObject({ field: 'email' });
  });

  it.each([
    ['(415) 555-2671', 'US', '+14155552671'],
    ['415.555.2671', 'US', '+14155552671'],
    ['+1 415 555 2671', 'GB', '+14155552671'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 20 7946 0958', 'US', '+442079460958'],
  ] as const)('phone %j in %s -> %s', (raw, region, e164) => expect(normalizePhone(raw, region)).toBe(e164));

  it.each(['12', 'not a phone', '+1 000 000 0000'])('refuses the phone %j', (raw) => {
    expect(normalizePhone(raw, 'US')).toMatchObject({ field: 'phone', message: expect.stringMatching(/not a valid phone number/) });
  });

  it('normalizes a whole identity, strongest first, and keeps _kx exactly', () => {
    expect(normalizeIdentity({ anonymousId: ' anon-1 ', email: 'A@B.co', phone: '(415) 555-2671', externalId: 'cust_9', klaviyoExchangeId: ' Kx.Raw ' }, 'US')).toEqual([
      { kind: 'EXTERNAL_ID', value: 'cust_9' },
      { kind: 'EMAIL', value: 'a@b.co' },
      { kind: 'PHONE', value: '+14155552671' },
      { kind: 'ANONYMOUS_ID', value: 'anon-1' },
      { kind: 'KLAVIYO_EXCHANGE_ID', value: ' Kx.Raw ' },
    ]);
  });

  it.each([
    [{}, ''],
    [{ email: null, phone: null }, ''],
    [{ externalId: 'x'.repeat(256) }, 'externalId'],
    [{ anonymousId: '   ' }, 'anonymousId'],
    [{ email: 'nope', phone: '(415) 555-2671' }, 'email'],
  ])('refuses %j, naming the field %j', (input, field) => {
    expect(normalizeIdentity(input, 'US')).toMatchObject({ field });
  });
});
