import { createHash, randomBytes } from 'node:crypto';

/** The fake's OAuth state: codes, grants, tokens; rules from klaviyo.md §1 and fake behaviors 1-5. */

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
}

export interface Grant {
  readonly id: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly scopes: readonly string[];
  revoked: boolean;
  /** The refresh token that is valid now. */
  refreshToken: string;
  /** Refresh tokens this grant has rotated away from; presenting one revokes the grant. */
  readonly retiredRefreshTokens: Set<string>;
}

export interface AccessToken {
  readonly grantId: string;
  readonly expiresAt: number;
}

export type OAuthFailure = { readonly status: number; readonly error: string; readonly description: string };
export type TokenResponse = { access_token: string; token_type: 'Bearer'; expires_in: number; refresh_token: string; scope: string };

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;

export class OAuthState {
  readonly clients = new Map<string, OAuthClient>();
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; challenge: string; accountId: string; scopes: string[]; expiresAt: number; used: boolean }>();
  readonly grants = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshIndex = new Map<string, string>();
  /** Refresh tokens presented again after rotation (each one revoked its grant). */
  readonly refreshTokenReuse: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** `same` keeps the refresh token (observed); `rotate` issues a new one and retires the old. */
  rotation: 'same' | 'rotate' = 'rotate';
  accessTokenTtlSeconds = 3600;

  issueCode(params: { clientId: string; redirectUri: string; challenge: string; accountId: string; scopes: string[] }): string {
    const code = token('code');
    this.codes.set(code, { ...params, expiresAt: this.now() + 60_000, used: false });
    return code;
  }

  exchangeCode(clientId: string, code: string, verifier: string, redirectUri: string): TokenResponse | OAuthFailure {
    const entry = this.codes.get(code);
    if (!entry || entry.clientId !== clientId) return invalidGrant('Authorization code is invalid.');
    if (entry.used) return invalidGrant('Authorization code has already been used.');
    entry.used = true;
    if (entry.expiresAt < this.now()) return invalidGrant('Authorization code has expired.');
    if (entry.redirectUri !== redirectUri) return invalidGrant('Mismatching redirect URI.');
    if (!VERIFIER.test(verifier) || createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) {
      return invalidGrant('Code challenge failed.');
    }
    const grant: Grant = { id: token('grant'), clientId, accountId: entry.accountId, scopes: entry.scopes, revoked: false, refreshToken: token('rt'), retiredRefreshTokens: new Set() };
    this.grants.set(grant.id, grant);
    this.refreshIndex.set(grant.refreshToken, grant.id);
    return this.issueAccessToken(grant);
  }

  refresh(clientId: string, refreshToken: string): TokenResponse | OAuthFailure {
    const grant = this.grants.get(this.refreshIndex.get(refreshToken) ?? '');
    if (!grant || grant.clientId !== clientId) return invalidGrant('Refresh token is invalid.');
    if (grant.revoked) return invalidGrant('Refresh token has been revoked.');
    if (grant.retiredRefreshTokens.has(refreshToken)) {
      // Reuse of a rotated token means it leaked or two clients raced: Klaviyo-style, kill the grant.
      this.refreshTokenReuse.push(refreshToken);
      this.revokeGrant(grant);
      return invalidGrant('Refresh token has already been used.');
    }
    if (this.rotation === 'rotate') {
      grant.retiredRefreshTokens.add(grant.refreshToken);
      grant.refreshToken = token('rt');
      this.refreshIndex.set(grant.refreshToken, grant.id);
    }
    return this.issueAccessToken(grant);
  }

  /** Revoking either token kills the whole grant, as observed. Unknown tokens are not an error (RFC 7009). */
  revoke(clientId: string, presented: string): void {
    const grantId = this.refreshIndex.get(presented) ?? this.accessTokens.get(presented)?.grantId;
    const grant = grantId ? this.grants.get(grantId) : undefined;
    if (grant && grant.clientId === clientId) this.revokeGrant(grant);
  }

  revokeGrant(grant: Grant): void {
    grant.revoked = true;
    for (const [value, access] of this.accessTokens) if (access.grantId === grant.id) this.accessTokens.delete(value);
  }

  revokeAll(): void {
    for (const grant of this.grants.values()) this.revokeGrant(grant);
  }

  expireAccessTokens(): void {
    for (const [value, access] of this.accessTokens) this.accessTokens.set(value, { ...access, expiresAt: this.now() - 1 });
  }

  /** The grant behind a live bearer token, or why there is none. */
  authenticate(bearer: string): { grant: Grant } | { reason: 'unknown' | 'expired' } {
    const access = this.accessTokens.get(bearer);
    if (!access) return { reason: 'unknown' };
    if (access.expiresAt <= this.now()) return { reason: 'expired' };
    const grant = this.grants.get(access.grantId);
    return grant && !grant.revoked ? { grant } : { reason: 'unknown' };
  }

  private issueAccessToken(grant: Grant): TokenResponse {
    const accessToken = token('at');
    this.accessTokens.set(accessToken, { grantId: grant.id, expiresAt: this.now() + this.accessTokenTtlSeconds * 1000 });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.accessTokenTtlSeconds, refresh_token: grant.refreshToken, scope: grant.scopes.join(' ') };
  }
}

function invalidGrant(description: string): OAuthFailure {
  return { status: 400, error: 'invalid_grant', description };
}
