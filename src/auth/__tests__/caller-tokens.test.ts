import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { CallerTokenVerifier, mintCallerToken, Scope } from '..';
import type { JwtConfig } from '../../config';

const SECRET = 's'.repeat(40);
const hs: JwtConfig = { algorithms: ['HS256'], issuer: 'signals-gateway', audience: 'signals-gateway', verifyKey: SECRET, signingKey: SECRET };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const rs: JwtConfig = { ...hs, algorithms: ['RS256'], verifyKey: rsa.publicKey, signingKey: rsa.privateKey };

const claims = { brand: 'acme', scope: 'signals:write ops:read', sub: 'storefront-1' };
const sign = (payload: object, key: string = SECRET, options: jwt.SignOptions = {}) =>
  jwt.sign(payload, key, { algorithm: 'HS256', issuer: 'signals-gateway', audience: 'signals-gateway', expiresIn: 300, ...options });
const unsigned = (payload: object) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe('CallerTokenVerifier', () => {
  const verifier = new CallerTokenVerifier(hs);

  it('accepts a valid token and exposes brand, subject and known scopes', () => {
    const result = verifier.authenticate(`Bearer ${sign({ ...claims, scope: 'signals:write ops:read admin:everything' })}`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.viewer.brand).toBe('acme');
    expect(result.viewer.subject).toBe('storefront-1');
    expect([...result.viewer.scopes].sort()).toEqual([Scope.OpsRead, Scope.SignalsWrite]);
  });

  const now = Math.floor(Date.now() / 1000);
  it.each([
    ['no header', undefined, /Missing bearer token/],
    ['another scheme', 'Basic abc', /must be "Bearer <token>"/],
    ['alg none', `Bearer ${unsigned({ ...claims, iss: 'signals-gateway', aud: 'signals-gateway', exp: now + 300 })}`, /Invalid token/],
    ['wrong audience', `Bearer ${sign(claims, SECRET, { audience: 'someone-else' })}`, /audience invalid/],
    ['wrong issuer', `Bearer ${sign(claims, SECRET, { issuer: 'evil' })}`, /issuer invalid/],
    ['expired', `Bearer ${jwt.sign({ ...claims, exp: now - 10 }, SECRET, { issuer: 'signals-gateway', audience: 'signals-gateway' })}`, /expired/],
    ['another key', `Bearer ${sign(claims, 't'.repeat(40))}`, /invalid signature/],
    ['no exp', `Bearer ${jwt.sign(claims, SECRET, { issuer: 'signals-gateway', audience: 'signals-gateway' })}`, /no exp claim/],
    ['no brand', `Bearer ${sign({ scope: 'ops:read' })}`, /no brand claim/],
    ['no scope', `Bearer ${sign({ brand: 'acme' })}`, /no scope claim/],
    ['brand that is not an id', `Bearer ${sign({ ...claims, brand: '../other brand' })}`, /not a valid brand id/],
  ])('refuses a token with %s', (_case, header, reason) => {
    const result = verifier.authenticate(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses an HS256 token when RS256 is pinned, even one signed with the public key as secret', () => {
    const rsVerifier = new CallerTokenVerifier(rs);
    expect(rsVerifier.authenticate(`Bearer ${mintCallerToken(rs, { brand: 'acme', scopes: [Scope.OpsRead] })}`).ok).toBe(true);
    expect(rsVerifier.authenticate(`Bearer ${sign(claims)}`)).toEqual({ ok: false, reason: expect.stringMatching(/invalid algorithm/) });
    // The classic key-confusion attack: HMAC with the PEM public key as the secret.
    const forged = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: 'signals-gateway', aud: 'signals-gateway', exp: now + 60 })).toString('base64url')}`;
    const signature = require('node:crypto').createHmac('sha256', rsa.publicKey).update(forged).digest('base64url');
    expect(rsVerifier.authenticate(`Bearer ${forged}.${signature}`).ok).toBe(false);
  });
});

describe('mintCallerToken', () => {
  it('signs tokens the verifier accepts, with the requested lifetime', () => {
    const token = mintCallerToken(hs, { brand: 'acme', scopes: [Scope.OpsWrite], ttl: 90 });
    const result = new CallerTokenVerifier(hs).verify(token);
    expect(result.ok && [...result.viewer.scopes]).toEqual([Scope.OpsWrite]);
    const { exp, iat } = jwt.decode(token) as { exp: number; iat: number };
    expect(exp - iat).toBe(90);
  });

  it('refuses to sign without a signing key or for a bad brand', () => {
    expect(() => mintCallerToken({ ...rs, signingKey: undefined }, { brand: 'acme', scopes: [] })).toThrow(/No signing key/);
    expect(() => mintCallerToken(hs, { brand: 'a b', scopes: [] })).toThrow(/not a valid brand id/);
  });
});
