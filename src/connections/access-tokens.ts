import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { FailureCategory, KlaviyoFailure, OAuthError, type KlaviyoOAuth } from '../datasources/klaviyo';
import type { ConnectionErrorRecord, ConnectionRecord, ConnectionRepository } from '../store';
import { TokenVault, VaultError, type SecretBinding } from './vault';

/**
 * Valid access tokens for OAuth connections, refreshed before expiry and once
 * after a 401, one refresh at a time per connection:
 *
 * - inside a process, concurrent callers share one promise per token version;
 * - across processes sharing a store, a caller must first claim the refresh
 *   (compare-and-set on the token version); the others poll until the version
 *   moves and use the winner's token. Klaviyo may rotate refresh tokens and
 *   treat a reused one as theft, so two refreshes of one version must never
 *   both reach Klaviyo.
 *
 * The new refresh token is stored before the new access token is handed out.
 */

export interface RefreshPolicy {
  /** Refresh when less than this remains... */
  readonly minRemainingMs: number;
  /** ...or less than this share of the token's lifetime. */
  readonly lifetimeShare: number;
  /** How long a claim keeps other processes waiting; longer than the slowest refresh with its retries. */
  readonly claimTtlMs: number;
  readonly pollIntervalMs: number;
  /** Waits on 5xx or network failures of the token endpoint, then gives up. */
  readonly retryDelaysMs: readonly number[];
}

export const DEFAULT_REFRESH_POLICY: RefreshPolicy = {
  minRemainingMs: 5 * 60_000,
  lifetimeShare: 0.1,
  claimTtlMs: 90_000,
  pollIntervalMs: 50,
  retryDelaysMs: [250, 1000, 4000],
};

export interface AccessTokenDependencies {
  readonly connections: ConnectionRepository;
  readonly vault: TokenVault;
  /** Absent when KLAVIYO_CLIENT_ID/SECRET are not configured. */
  readonly oauth: KlaviyoOAuth | undefined;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly policy?: Partial<RefreshPolicy>;
}

export function needsRefresh(connection: ConnectionRecord, now: Date, policy: RefreshPolicy = DEFAULT_REFRESH_POLICY): boolean {
  if (connection.authMethod !== 'OAUTH') return false;
  if (!connection.accessTokenExpiresAt) return true;
  const remaining = connection.accessTokenExpiresAt.getTime() - now.getTime();
  const lifetime = connection.accessTokenIssuedAt ? connection.accessTokenExpiresAt.getTime() - connection.accessTokenIssuedAt.getTime() : 0;
  return remaining < Math.max(policy.minRemainingMs, lifetime * policy.lifetimeShare);
}

export const bindingOf = (connection: Pick<ConnectionRecord, 'brand' | 'id'>, purpose: SecretBinding['purpose']): SecretBinding => ({
  brand: connection.brand,
  owner: connection.id,
  purpose,
});

export class AccessTokens {
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Who holds a refresh claim: this process, uniquely. */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  private readonly policy: RefreshPolicy;
  private readonly now: () => Date;
  /** Refresh calls this process made to Klaviyo (for logs and tests). */
  refreshCalls = 0;

  constructor(private readonly deps: AccessTokenDependencies) {
    this.policy = { ...DEFAULT_REFRESH_POLICY, ...deps.policy };
    this.now = deps.now ?? (() => new Date());
  }

  /** A usable access token, refreshed first if it is close to expiry. */
  async current(brand: string, connectionId: string): Promise<string> {
    const connection = await this.load(brand, connectionId);
    if (!needsRefresh(connection, this.now(), this.policy)) return this.openSecret(connection, 'access_token');
    return this.refresh(connection, { mustReplace: false });
  }

  /** Klaviyo answered 401 to `refused`: the token to retry with once (another caller may have refreshed already). */
  async afterUnauthorized(brand: string, connectionId: string, refused: string): Promise<string> {
    const connection = await this.load(brand, connectionId);
    const stored = await this.openSecret(connection, 'access_token');
    if (stored !== refused) return stored;
    return this.refresh(connection, { mustReplace: true });
  }

  private refresh(connection: ConnectionRecord, options: { mustReplace: boolean }): Promise<string> {
    const key = `${connection.id}@${connection.tokenVersion}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.refreshAcrossProcesses(connection, options).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async refreshAcrossProcesses(connection: ConnectionRecord, options: { mustReplace: boolean }): Promise<string> {
    const { brand, id, tokenVersion } = connection;
    const giveUpAt = this.now().getTime() + this.policy.claimTtlMs + 5_000;
    for (;;) {
      const now = this.now();
      if (await this.deps.connections.claimRefresh(brand, id, tokenVersion, this.owner, new Date(now.getTime() + this.policy.claimTtlMs), now)) {
        return this.refreshWithClaim(connection, options);
      }
      await sleep(this.policy.pollIntervalMs);
      const latest = await this.load(brand, id);
      if (latest.tokenVersion !== tokenVersion) return this.openSecret(latest, 'access_token');
      if (this.now().getTime() > giveUpAt) {
        throw new KlaviyoFailure({ category: FailureCategory.UPSTREAM, code: 'refresh_wait_timeout', detail: 'Timed out waiting for another gateway instance to refresh the Klaviyo token' });
      }
    }
  }

  private async refreshWithClaim(claimed: ConnectionRecord, { mustReplace }: { mustReplace: boolean }): Promise<string> {
    const { brand, id, tokenVersion } = claimed;
    const release = () => this.deps.connections.releaseRefresh(brand, id, this.owner);
    // Re-read under the claim: the record we were given may predate it.
    const connection = await this.load(brand, id);
    if (connection.tokenVersion !== tokenVersion) {
      await release();
      return this.openSecret(connection, 'access_token');
    }
    const oauth = this.deps.oauth;
    if (!oauth) {
      await release();
      throw await this.configFault(connection, 'Klaviyo OAuth is not configured (KLAVIYO_CLIENT_ID, KLAVIYO_CLIENT_SECRET): the token cannot be refreshed');
    }
    const refreshToken = await this.openSecret(connection, 'refresh_token').catch(async (error: unknown) => {
      await release();
      throw error;
    });

    for (let attempt = 0; ; attempt += 1) {
      try {
        this.refreshCalls += 1;
        const tokens = await oauth.refresh(refreshToken);
        const issuedAt = this.now();
        const stored = await this.deps.connections.completeRefresh(
          brand,
          id,
          tokenVersion,
          this.owner,
          {
            credentials: {
              accessToken: this.deps.vault.seal(tokens.accessToken, bindingOf(connection, 'access_token')),
              refreshToken: this.deps.vault.seal(tokens.refreshToken, bindingOf(connection, 'refresh_token')),
              apiKey: null,
            },
            accessTokenIssuedAt: issuedAt,
            accessTokenExpiresAt: new Date(issuedAt.getTime() + tokens.expiresIn * 1000),
            scopes: tokens.scopes,
          },
          issuedAt,
        );
        if (!stored) {
          // Our claim lapsed and someone else refreshed: their tokens are the ones on record.
          this.deps.logger.error({ connectionId: id }, 'token refresh finished after its claim expired; using the stored token');
          return this.openSecret(await this.load(brand, id), 'access_token');
        }
        this.deps.logger.info({ connectionId: id, brand, expiresIn: tokens.expiresIn }, 'refreshed Klaviyo access token');
        return tokens.accessToken;
      } catch (error) {
        if (!(error instanceof OAuthError)) {
          await release();
          throw error;
        }
        if (error.retryable) {
          const delay = this.policy.retryDelaysMs[attempt];
          const stillValid = !mustReplace && connection.accessTokenExpiresAt !== null && connection.accessTokenExpiresAt.getTime() > this.now().getTime();
          if (stillValid) {
            // The current token still works: use it, and refresh on a later call.
            await release();
            this.deps.logger.warn({ connectionId: id, err: error }, 'token refresh failed for now; the current token is still valid');
            return this.openSecret(connection, 'access_token');
          }
          if (delay !== undefined) {
            await sleep(delay * (0.5 + Math.random() / 2));
            continue;
          }
          await release();
          throw new KlaviyoFailure({ category: FailureCategory.UPSTREAM, httpStatus: error.httpStatus, code: error.error, detail: `Klaviyo's token endpoint is unavailable: ${error.description}` });
        }
        await release();
        if (error.error === 'invalid_client') {
          throw await this.configFault(connection, "Klaviyo refused this gateway's OAuth client credentials (invalid_client): check KLAVIYO_CLIENT_ID and KLAVIYO_CLIENT_SECRET");
        }
        // invalid_grant (revoked, uninstalled, 90 days idle) and the like: only a person can fix it.
        await this.markNeedsReauth(connection, { code: error.error === 'invalid_grant' ? 'invalid_grant' : error.error, message: `Klaviyo refused the refresh token (${error.error}): reconnect the app`, at: this.now() });
        throw new KlaviyoFailure({ category: FailureCategory.AUTH, httpStatus: error.httpStatus, code: error.error, detail: error.description });
      }
    }
  }

  /** The connection, or an AUTH failure when it has no usable credentials. */
  private async load(brand: string, id: string): Promise<ConnectionRecord> {
    const connection = await this.deps.connections.get(brand, id);
    if (!connection) throw new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'no_connection', detail: `connection ${id} does not exist` });
    if (connection.status !== 'CONNECTED') {
      throw new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'not_connected', detail: `the connection is ${connection.status}${connection.lastError ? `: ${connection.lastError.message}` : ''}` });
    }
    return connection;
  }

  /** Opens a sealed secret; a ciphertext that fails authentication is never used and marks lastError. */
  async openSecret(connection: ConnectionRecord, purpose: 'access_token' | 'refresh_token' | 'api_key'): Promise<string> {
    const sealed = purpose === 'access_token' ? connection.credentials.accessToken : purpose === 'refresh_token' ? connection.credentials.refreshToken : connection.credentials.apiKey;
    if (!sealed) throw new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'no_credentials', detail: `the connection has no stored ${purpose.replace('_', ' ')}` });
    try {
      return this.deps.vault.open(sealed, bindingOf(connection, purpose));
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      this.deps.logger.error({ connectionId: connection.id, brand: connection.brand, purpose, reason: error.message }, 'refusing a stored secret');
      await this.deps.connections.updateStatus(connection.brand, connection.id, { lastError: { code: 'vault_error', message: error.message, at: this.now() } }, this.now());
      throw new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'vault_error', detail: error.message });
    }
  }

  private async markNeedsReauth(connection: ConnectionRecord, lastError: ConnectionErrorRecord): Promise<void> {
    this.deps.logger.warn({ connectionId: connection.id, brand: connection.brand, code: lastError.code }, 'Klaviyo connection needs to be reconnected');
    await this.deps.connections.updateStatus(connection.brand, connection.id, { status: 'NEEDS_REAUTH', lastError }, this.now());
  }

  /** A fault of this gateway's configuration: logged loudly, shown in health, status unchanged. */
  private async configFault(connection: ConnectionRecord, message: string): Promise<KlaviyoFailure> {
    this.deps.logger.error({ connectionId: connection.id, brand: connection.brand }, message);
    await this.deps.connections.updateStatus(connection.brand, connection.id, { configError: { code: 'invalid_client', message, at: this.now() } }, this.now());
    return new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'invalid_client', detail: message });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
