import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Scope } from '../../src/auth';
import { ViewerDocument } from '../generated/graphql';
import { TEST_JWT_SECRET } from '../support/env';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { codesOf, graphqlRequest } from '../support/graphql-client';
import { buildProbeSchema, probeCalls } from '../support/probe.resolver';

const sign = (claims: object, key: string = TEST_JWT_SECRET, options: jwt.SignOptions = {}) =>
  jwt.sign(claims, key, { algorithm: 'HS256', issuer: 'signals-gateway', audience: 'signals-gateway', expiresIn: 300, ...options });
const claims = { brand: 'acme', scope: 'ops:read', sub: 'tool' };

describe('caller auth over HTTP', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ schema: buildProbeSchema() });
  });
  afterAll(() => gateway.stop());

  it('answers viewer with the brand, subject and scopes of a valid token', async () => {
    const response = await graphqlRequest(gateway.url, ViewerDocument, { token: gateway.token({ brand: 'acme', scopes: [Scope.SignalsWrite, Scope.OpsRead] }) });
    expect(response.errors).toBeUndefined();
    expect(response.data?.viewer).toEqual({ brand: 'acme', subject: 'test', scopes: ['ops:read', 'signals:write'] });
  });

  const unsignedNone = () =>
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: 'signals-gateway', aud: 'signals-gateway', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')}.`;
  it.each([
    ['no token', () => undefined, 'Missing bearer token'],
    ['alg none', unsignedNone, 'Invalid token'],
    ['a wrong audience', () => sign(claims, TEST_JWT_SECRET, { audience: 'other' }), 'audience invalid'],
    ['a wrong issuer', () => sign(claims, TEST_JWT_SECRET, { issuer: 'other' }), 'issuer invalid'],
    ['an expired token', () => jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 5, iss: 'signals-gateway', aud: 'signals-gateway' }, TEST_JWT_SECRET), 'expired'],
    ['another key', () => sign(claims, 'another-secret-that-is-long-enough-too!!'), 'invalid signature'],
  ])('is UNAUTHENTICATED with %s', async (_case, token, reason) => {
    const response = await graphqlRequest(gateway.url, ViewerDocument, { token: token() });
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.errors?.[0]?.message).toContain(reason);
    expect(response.data).toBeNull();
  });

  it('is FORBIDDEN for a valid token without the scope, and runs the field with it', async () => {
    const before = probeCalls.count;
    const denied = await graphqlRequest(gateway.url, '{ opsOnly }', { token: gateway.token({ scopes: [Scope.SignalsWrite] }) });
    expect(codesOf(denied)).toEqual(['FORBIDDEN']);
    expect(denied.errors?.[0]?.message).toBe('This operation needs the ops:read scope');
    expect(probeCalls.count).toBe(before);
    const allowed = await graphqlRequest(gateway.url, '{ opsOnly }', { token: gateway.token({ scopes: [Scope.OpsRead] }) });
    expect(allowed.data).toEqual({ opsOnly: 'ops' });
  });

  it('refuses GET requests without a CSRF preflight header, and serves them with one', async () => {
    const url = `${gateway.url}?query=${encodeURIComponent('{ viewer { brand } }')}`;
    const blocked = await fetch(url, { headers: { authorization: `Bearer ${gateway.token()}` } });
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toMatch(/CSRF/);
    const allowed = await fetch(url, { headers: { authorization: `Bearer ${gateway.token()}`, 'apollo-require-preflight': 'true' } });
    expect(await allowed.json()).toEqual({ data: { viewer: { brand: 'acme' } } });
  });

  it('writes one log line per request with operation, duration and outcome, and never the variables', async () => {
    const email = 'shopper-canary@example.com';
    await graphqlRequest(gateway.url, 'query WhoAmI($note: String!) { viewer { brand } textLength(text: $note) }', { token: gateway.token(), variables: { note: email } });
    const lines = gateway.logs.filter((line) => line.operationName === 'WhoAmI');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', method: 'POST', path: '/graphql', status: 200, operationType: 'query', outcome: 'ok' });
    expect(typeof lines[0]!.durationMs).toBe('number');
    expect(gateway.rawLogs.join('\n')).not.toContain(email);
  });
});

describe('caller auth with RS256 pinned', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { JWT_SECRET: '', JWT_ALGORITHMS: 'RS256', JWT_PUBLIC_KEY: keys.publicKey, JWT_PRIVATE_KEY: keys.privateKey } });
  });
  afterAll(() => gateway.stop());

  it('accepts an RS256 token and refuses an HS256 one', async () => {
    const good = await graphqlRequest(gateway.url, ViewerDocument, { token: gateway.token() });
    expect(good.data?.viewer.brand).toBe('acme');
    const hs = await graphqlRequest(gateway.url, ViewerDocument, { token: sign(claims) });
    expect(codesOf(hs)).toEqual(['UNAUTHENTICATED']);
    expect(hs.errors?.[0]?.message).toMatch(/invalid algorithm/);
  });
});
