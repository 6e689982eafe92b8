import { checkPiiPointers, PropertiesContract } from '../properties-schema';

const schema = {
  type: 'object',
  required: ['items'],
  properties: {
    email: { type: 'string', format: 'email' },
    items: { type: 'array', items: { type: 'object', required: ['price'], properties: { price: { type: 'number', minimum: 0 }, name: { type: 'string' } } } },
    shipping: { type: 'object', properties: { phone: { type: 'string' } } },
  },
};

describe('PropertiesContract', () => {
  const contract = PropertiesContract.compile(schema) as PropertiesContract;

  it('accepts properties that match and names the path of the first that does not', () => {
    expect(contract).toBeInstanceOf(PropertiesContract);
    expect(contract.validate({ items: [{ price: 1 }] })).toBeUndefined();
    expect(contract.validate({ items: [{ price: 1 }, { price: -2 }] })).toEqual({ path: 'items.1.price', message: 'must be >= 0' });
    expect(contract.validate({ items: [{}] })).toEqual({ path: 'items.0.price', message: 'is required by the metric schema' });
    expect(contract.validate({})).toEqual({ path: 'items', message: 'is required by the metric schema' });
    expect(contract.validate({ items: [], email: 'nope' })).toEqual({ path: 'email', message: 'must match format "email"' });
  });

  it.each([
    [{ type: 'array' }, '/type'],
    [{ properties: {} }, '/type'],
    [{ type: 'object', $schema: 'http://json-schema.org/draft-07/schema#' }, '/$schema'],
    [{ type: 'object', propertees: {} }, ''],
    [{ type: 'object', properties: { a: { type: 'strin' } } }, ''],
  ])('refuses %j as a contract', (bad, at) => {
    const problems = PropertiesContract.compile(bad);
    expect(Array.isArray(problems)).toBe(true);
    expect((problems as Array<{ at: string }>)[0]?.at).toBe(at);
  });
});

describe('checkPiiPointers', () => {
  it('accepts pointers the schema describes, through objects and arrays', () => {
    expect(checkPiiPointers(schema, ['/email', '/shipping/phone', '/items/*/name', '/items/0/name'])).toEqual([]);
  });

  it('names each pointer that does not exist or is not a pointer', () => {
    expect(checkPiiPointers(schema, ['/email', '/phone', 'email', '/shipping/fax'])).toEqual([
      { at: '/1', message: '"/phone" names nothing the schema describes (no "phone")' },
      { at: '/2', message: '"email" is not a JSON pointer into the properties (e.g. "/email" or "/shipping/phone")' },
      { at: '/3', message: '"/shipping/fax" names nothing the schema describes (no "fax")' },
    ]);
  });
});
