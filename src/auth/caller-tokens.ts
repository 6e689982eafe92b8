import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import { z } from 'zod';
import type { JwtConfig } from '../config';
import { parseScopeClaim, type Scope } from './scopes';
import type { Authentication, Viewer } from './viewer';

/** Brand ids are tenant keys: short, URL-safe, never free text. */
export const BRAND_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const claimsSchema = z.object({
  exp: z.number({ message: 'the token has no exp claim' }),
  brand: z.string({ message: 'the token has no brand claim' }).regex(BRAND_PATTERN, 'the brand claim is not a valid brand id'),
  scope: z.string({ message: 'the token has no scope claim' }),
  sub: z.string().min(1).optional(),
});

const NOT_A_BEARER = 'The Authorization header must be "Bearer <token>"';

/** Verified tokens remembered, so a storefront's many requests with one token verify it once. */
const CACHE_SIZE = 10_000;

/** Verifies caller JWTs with pinned algorithms, issuer and audience. */
export class CallerTokenVerifier {
  /** The key parsed once: jsonwebtoken would otherwise parse a string key on every verify. */
  private readonly key: KeyObject;
  private readonly verified = new Map<string, Viewer>();

  constructor(private readonly config: JwtConfig) {
    this.key = config.algorithms.every((alg) => alg.startsWith('HS')) ? createSecretKey(Buffer.from(config.verifyKey, 'utf8')) : createPublicKey(config.verifyKey);
  }

  /** Checks an `Authorization` header value; never throws. */
  authenticate(authorization: string | undefined): Authentication {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'Missing bearer token' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) return { ok: false, reason: NOT_A_BEARER };
    return this.verify(match[1]);
  }

  verify(token: string): Authentication {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.expiresAt.getTime() > Date.now()) return { ok: true, viewer: cached };
      this.verified.delete(token);
    }
    const result = this.verifyUncached(token);
    if (result.ok) {
      if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, result.viewer);
    }
    return result;
  }

  private verifyUncached(token: string): Authentication {
    let payload: JwtPayload | string;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: [...this.config.algorithms] as Algorithm[],
        issuer: this.config.issuer,
        audience: this.config.audience,
      });
    } catch (error) {
      return { ok: false, reason: `Invalid token: ${describeJwtError(error)}` };
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { ok: false, reason: `Invalid token: ${claims.error.issues[0]?.message ?? 'bad claims'}` };
    const viewer: Viewer = {
      brand: claims.data.brand,
      subject: claims.data.sub ?? 'anonymous',
      scopes: new Set(parseScopeClaim(claims.data.scope)),
      expiresAt: new Date(claims.data.exp * 1000),
    };
    return { ok: true, viewer };
  }
}

/** jsonwebtoken's messages are safe and specific ("jwt expired", "jwt audience invalid..."); keep them short. */
function describeJwtError(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'expired';
  if (error instanceof jwt.NotBeforeError) return 'not active yet';
  if (error instanceof jwt.JsonWebTokenError) return error.message.replace(/^jwt /, '');
  return 'could not be verified';
}

export interface MintOptions {
  readonly brand: string;
  readonly scopes: readonly Scope[];
  readonly subject?: string;
  /** jsonwebtoken `expiresIn`: seconds or a duration such as "1h", "7d". */
  readonly ttl?: string | number;
}

/** Signs a caller token with the configured key (development and the CLI). */
export function mintCallerToken(config: JwtConfig, options: MintOptions): string {
  if (!config.signingKey) {
    throw new Error('No signing key: set JWT_SECRET, or JWT_PRIVATE_KEY beside JWT_PUBLIC_KEY, to mint tokens');
  }
  if (!BRAND_PATTERN.test(options.brand)) throw new Error(`"${options.brand}" is not a valid brand id (letters, digits, '.', '_', '-')`);
  return jwt.sign({ brand: options.brand, scope: options.scopes.join(' ') }, config.signingKey, {
    algorithm: config.algorithms[0] as Algorithm,
    issuer: config.issuer,
    audience: config.audience,
    subject: options.subject ?? 'dev',
    expiresIn: (options.ttl ?? '1h') as jwt.SignOptions['expiresIn'],
  });
}
