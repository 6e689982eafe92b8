import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { KlaviyoConfig } from '../config';
import { FailureCategory, KlaviyoAPI, KlaviyoFailure, OAuthError, type KlaviyoAccount, type KlaviyoCredentials, type KlaviyoOAuth } from '../datasources/klaviyo';
import { BadUserInputError, ErrorCode, GatewayError } from '../schema/errors';
import type { ConnectionRecord, Environment, Store } from '../store';
import { AccessTokens, bindingOf } from './access-tokens';
import { createPkcePair, createState } from './pkce';
import type { TokenVault } from './vault';

/** How long a begun authorization may take to come back. */
export const AUTHORIZATION_TTL_MS = 10 * 60_000;
const REVOKE_RETRY_DELAYS_MS = [250, 1000, 3000];
/** GET /api/accounts allows 1 request a second: a person clicking twice should wait, not fail. */
const MAX_INTERACTIVE_RATE_LIMIT_WAIT_MS = 5000;
/**
 * How long intake may keep using a brand's list of live connections. This
 * service drops the list on every change it makes; a change made by another
 * gateway process is seen within this time (as metric definitions are).
 */
export const LIVE_CONNECTIONS_TTL_MS = 5000;

/** A connection as intake needs it to route deliveries. */
export type LiveConnection = Pick<ConnectionRecord, 'id' | 'environment' | 'status'>;

/** Runs `call`, waiting out one 429 when Klaviyo's Retry-After is short enough for a person to wait. */
async function waitingOutRateLimit<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof KlaviyoFailure) || error.category !== FailureCategory.RATE_LIMIT || (error.retryAfterMs ?? Infinity) > MAX_INTERACTIVE_RATE_LIMIT_WAIT_MS) throw error;
    await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
    return call();
  }
}

export interface AuthorizationRequest {
  readonly authorizeUrl: string;
  readonly state: string;
  readonly expiresAt: Date;
}

export interface ConnectionServiceDependencies {
  readonly store: Pick<Store, 'connections' | 'authorizationStates' | 'deliveryQueue'>;
  readonly vault: TokenVault;
  readonly oauth: KlaviyoOAuth | undefined;
  readonly klaviyo: Pick<KlaviyoConfig, 'apiUrl' | 'revision'>;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Passed to AccessTokens; tests shorten waits. */
  readonly accessTokens?: AccessTokens;
}

/**
 * Connecting brands to Klaviyo: the OAuth install (PKCE, single-use state),
 * legacy private keys, disconnecting, and credentials for every Klaviyo call.
 * Reconnecting always lands on the same connection, so queued work survives.
 */
export class ConnectionService {
  readonly accessTokens: AccessTokens;
  private readonly now: () => Date;
  private readonly logger: Logger;
  private readonly live = new Map<string, { readonly at: number; readonly value: Promise<LiveConnection[]> }>();

  constructor(private readonly deps: ConnectionServiceDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.logger = deps.logger.child({ component: 'connections' });
    this.accessTokens = deps.accessTokens ?? new AccessTokens({ connections: deps.store.connections, vault: deps.vault, oauth: deps.oauth, logger: this.logger, now: this.now });
  }

  list(brand: string): Promise<ConnectionRecord[]> {
    return this.deps.store.connections.list(brand);
  }

  get(brand: string, id: string): Promise<ConnectionRecord | null> {
    return this.deps.store.connections.get(brand, id);
  }

  /**
   * The brand's connections that take deliveries: CONNECTED, or NEEDS_REAUTH
   * (which holds them until a reconnect). Intake asks for every batch, so it
   * reads through a short cache (LIVE_CONNECTIONS_TTL_MS).
   */
  liveConnections(brand: string): Promise<LiveConnection[]> {
    const cached = this.live.get(brand);
    if (cached && Date.now() - cached.at < LIVE_CONNECTIONS_TTL_MS) return cached.value;
    const value = this.deps.store.connections
      .list(brand)
      .then((all) => all.filter((c) => c.status === 'CONNECTED' || c.status === 'NEEDS_REAUTH').map(({ id, environment, status }) => ({ id, environment, status })));
    this.live.set(brand, { at: Date.now(), value });
    value.catch(() => {
      if (this.live.get(brand)?.value === value) this.live.delete(brand); // a failed read is not kept
    });
    return value;
  }

  async beginAuthorization(brand: string, environment: Environment): Promise<AuthorizationRequest> {
    const oauth = this.requireOAuth();
    const now = this.now();
    const connection = await this.deps.store.connections.ensure(brand, environment, randomUUID(), now);
    const state = createState();
    const pkce = createPkcePair();
    const expiresAt = new Date(now.getTime() + AUTHORIZATION_TTL_MS);
    await this.deps.store.authorizationStates.create({
      state,
      brand,
      environment,
      connectionId: connection.id,
      sealedVerifier: this.deps.vault.seal(pkce.verifier, { brand, owner: state, purpose: 'pkce_verifier' }),
      createdAt: now,
      expiresAt,
    });
    return { authorizeUrl: oauth.buildAuthorizeUrl({ state, codeChallenge: pkce.challenge }), state, expiresAt };
  }

  /**
   * Exchanges the code Klaviyo sent back, stores the tokens and labels the
   * connection with its account. `brand` is given when a signed-in app
   * completes it; the browser callback carries no brand and relies on the state.
   */
  async completeAuthorization({ code, state, brand }: { code: string; state: string; brand?: string }): Promise<ConnectionRecord> {
    const oauth = this.requireOAuth();
    const pending = await this.consumeState(state, brand);
    const verifier = this.deps.vault.open(pending.sealedVerifier, { brand: pending.brand, owner: state, purpose: 'pkce_verifier' });
    let tokens;
    try {
      tokens = await oauth.exchangeCode({ code, codeVerifier: verifier });
    } catch (error) {
      throw this.oauthFailure(error, 'code');
    }
    const issuedAt = this.now();
    const account = await this.fetchAccount({ authorization: async () => `Bearer ${tokens.accessToken}` }).catch((error: unknown) => {
      if (error instanceof KlaviyoFailure) throw new BadUserInputError('code', `The new grant could not read the Klaviyo account (${error.detail}): grant the accounts:read scope and begin again`);
      throw error;
    });
    const connection = { brand: pending.brand, id: pending.connectionId };
    const saved = await this.deps.store.connections.saveCredentials(
      pending.brand,
      pending.connectionId,
      {
        authMethod: 'OAUTH',
        credentials: {
          accessToken: this.deps.vault.seal(tokens.accessToken, bindingOf(connection, 'access_token')),
          refreshToken: this.deps.vault.seal(tokens.refreshToken, bindingOf(connection, 'refresh_token')),
          apiKey: null,
        },
        scopes: tokens.scopes,
        klaviyoAccountId: account.id,
        klaviyoAccountName: account.organizationName ?? null,
        klaviyoTestAccount: account.testAccount,
        accessTokenIssuedAt: issuedAt,
        accessTokenExpiresAt: new Date(issuedAt.getTime() + tokens.expiresIn * 1000),
      },
      issuedAt,
    );
    this.live.delete(saved.brand);
    await this.resumeHeldDeliveries(saved);
    this.logger.info({ brand: saved.brand, connectionId: saved.id, environment: saved.environment, klaviyoAccountId: account.id }, 'Klaviyo connected through OAuth');
    return saved;
  }

  /** Klaviyo sent the browser back with `error` (e.g. access_denied): spend the state and say why on a pending connection. */
  async abandonAuthorization({ state, error, description }: { state: string; error: string; description: string | undefined }): Promise<ConnectionRecord | null> {
    const pending = await this.deps.store.authorizationStates.consume(state);
    if (!pending) return null;
    const connection = await this.deps.store.connections.get(pending.brand, pending.connectionId);
    if (connection?.status !== 'PENDING') return connection;
    const message = error === 'access_denied' ? 'the Klaviyo user declined to connect the app' : `Klaviyo answered ${error}${description ? `: ${description}` : ''}`;
    return this.deps.store.connections.updateStatus(pending.brand, pending.connectionId, { lastError: { code: error, message, at: this.now() } }, this.now());
  }

  async connectApiKey(brand: string, environment: Environment, apiKey: string): Promise<ConnectionRecord> {
    const key = apiKey.trim();
    if (!/^pk_[A-Za-z0-9_]{10,}$/.test(key)) throw new BadUserInputError('apiKey', 'A Klaviyo private API key starts with "pk_" and has at least 10 more letters or digits');
    const existing = await this.deps.store.connections.findByEnvironment(brand, environment);
    if (existing?.authMethod === 'OAUTH' && existing.status === 'CONNECTED') {
      throw new GatewayError(ErrorCode.CONFLICT, `The ${environment} connection uses the Klaviyo app (OAuth); disconnect it before connecting a private key`);
    }
    let account: KlaviyoAccount;
    try {
      account = await this.fetchAccount({ authorization: async () => `Klaviyo-API-Key ${key}` });
    } catch (error) {
      if (error instanceof GatewayError && error.code === ErrorCode.UPSTREAM_UNAVAILABLE) throw error;
      throw new BadUserInputError('apiKey', `Klaviyo refused this API key: ${(error as Error).message}`);
    }
    const now = this.now();
    const connection = existing ?? (await this.deps.store.connections.ensure(brand, environment, randomUUID(), now));
    const saved = await this.deps.store.connections.saveCredentials(
      brand,
      connection.id,
      {
        authMethod: 'API_KEY',
        credentials: { accessToken: null, refreshToken: null, apiKey: this.deps.vault.seal(key, bindingOf(connection, 'api_key')) },
        scopes: [],
        klaviyoAccountId: account.id,
        klaviyoAccountName: account.organizationName ?? null,
        klaviyoTestAccount: account.testAccount,
        accessTokenIssuedAt: null,
        accessTokenExpiresAt: null,
      },
      now,
    );
    this.live.delete(brand);
    await this.resumeHeldDeliveries(saved);
    this.logger.info({ brand, connectionId: saved.id, environment, klaviyoAccountId: account.id }, 'Klaviyo connected with a private API key');
    return saved;
  }

  /** Revokes the grant at Klaviyo (retrying outages), wipes every stored secret, leaves DISCONNECTED. */
  async disconnect(brand: string, id: string): Promise<ConnectionRecord> {
    const connection = await this.deps.store.connections.get(brand, id);
    if (!connection) throw new GatewayError(ErrorCode.NOT_FOUND, `No connection ${id}`);
    let lastError: { code: string; message: string; at: Date } | null = null;
    if (connection.authMethod === 'OAUTH' && connection.credentials.refreshToken && this.deps.oauth) {
      const revoked = await this.revokeWithRetries(connection);
      if (!revoked) lastError = { code: 'revoke_failed', message: 'Klaviyo could not be reached to revoke the grant: uninstall the app in Klaviyo to be sure', at: this.now() };
    }
    const updated = await this.deps.store.connections.updateStatus(brand, id, { status: 'DISCONNECTED', wipeCredentials: true, lastError, configError: null }, this.now());
    this.live.delete(brand);
    this.logger.info({ brand, connectionId: id }, 'Klaviyo connection disconnected');
    return updated!;
  }

  /** Calls GET /api/accounts with the connection's credentials and refreshes its account label. */
  async verify(brand: string, id: string): Promise<ConnectionRecord> {
    const connection = await this.deps.store.connections.get(brand, id);
    if (!connection) throw new GatewayError(ErrorCode.NOT_FOUND, `No connection ${id}`);
    if (connection.status !== 'CONNECTED') throw new GatewayError(ErrorCode.CONFLICT, `The connection is ${connection.status}; connect it first`);
    try {
      const api = this.api(connection);
      const { data } = await waitingOutRateLimit(() => api.getAccount());
      if (data.id !== connection.klaviyoAccountId || (data.organizationName ?? null) !== connection.klaviyoAccountName) {
        this.logger.warn({ connectionId: id, before: connection.klaviyoAccountId, after: data.id }, 'the Klaviyo account behind the connection changed');
      }
    } catch (error) {
      if (!(error instanceof KlaviyoFailure)) throw error;
      await this.recordAuthFailure(connection, error);
      if (error.category !== FailureCategory.AUTH && error.category !== FailureCategory.SCOPE) {
        throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `Klaviyo could not be asked: ${error.detail}`);
      }
    }
    return (await this.deps.store.connections.get(brand, id))!;
  }

  /** A Klaviyo client for the connection: its credentials, refreshed as needed. */
  api(connection: ConnectionRecord): KlaviyoAPI {
    return new KlaviyoAPI({ baseUrl: this.deps.klaviyo.apiUrl, revision: this.deps.klaviyo.revision, credentials: this.credentialsFor(connection) });
  }

  credentialsFor(connection: Pick<ConnectionRecord, 'brand' | 'id' | 'authMethod'>): KlaviyoCredentials {
    const { brand, id } = connection;
    if (connection.authMethod === 'API_KEY') {
      return {
        authorization: async () => {
          const current = await this.deps.store.connections.get(brand, id);
          if (!current || current.status !== 'CONNECTED') throw new KlaviyoFailure({ category: FailureCategory.AUTH, code: 'not_connected', detail: 'the connection is not connected' });
          return `Klaviyo-API-Key ${await this.accessTokens.openSecret(current, 'api_key')}`;
        },
      };
    }
    return {
      authorization: async () => `Bearer ${await this.accessTokens.current(brand, id)}`,
      refreshAfterUnauthorized: async (refused) => `Bearer ${await this.accessTokens.afterUnauthorized(brand, id, refused.replace(/^Bearer\s+/i, ''))}`,
    };
  }

  /**
   * What an AUTH or SCOPE failure means for the connection: a person must
   * reconnect. Other failures say nothing about the connection itself.
   */
  async recordAuthFailure(connection: ConnectionRecord, failure: KlaviyoFailure): Promise<void> {
    if (failure.category !== FailureCategory.AUTH && failure.category !== FailureCategory.SCOPE) return;
    if (['invalid_client', 'vault_error', 'not_connected', 'no_connection', 'refresh_wait_timeout'].includes(failure.code ?? '')) return; // already recorded, or not about Klaviyo's verdict
    const latest = await this.deps.store.connections.get(connection.brand, connection.id);
    if (!latest || latest.status !== 'CONNECTED') return;
    const code = failure.category === FailureCategory.SCOPE ? 'scope_missing' : latest.authMethod === 'API_KEY' ? 'api_key_refused' : failure.code === 'invalid_grant' ? 'invalid_grant' : 'revoked';
    await this.deps.store.connections.updateStatus(
      latest.brand,
      latest.id,
      { status: 'NEEDS_REAUTH', lastError: { code, message: `Klaviyo answered ${failure.httpStatus ?? ''} ${failure.code ?? ''}: ${failure.detail}`.replace(/\s+/g, ' '), at: this.now() } },
      this.now(),
    );
  }

  /** Reconnected: what was held while auth was broken goes out by itself. */
  private async resumeHeldDeliveries(connection: ConnectionRecord): Promise<void> {
    const released = await this.deps.store.deliveryQueue.releaseHeld(connection.id, this.now());
    if (released > 0) this.logger.info({ connectionId: connection.id, released }, 'held deliveries queued again after reconnection');
  }

  private requireOAuth(): KlaviyoOAuth {
    if (!this.deps.oauth) {
      throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, 'Klaviyo OAuth is not configured on this gateway: set KLAVIYO_CLIENT_ID and KLAVIYO_CLIENT_SECRET');
    }
    return this.deps.oauth;
  }

  private async consumeState(state: string, brand: string | undefined) {
    const pending = await this.deps.store.authorizationStates.consume(state, brand);
    if (!pending) throw new BadUserInputError('state', 'Unknown or already used authorization state: begin the authorization again');
    if (pending.expiresAt.getTime() < this.now().getTime()) {
      throw new BadUserInputError('state', 'This authorization request expired (they last 10 minutes): begin it again');
    }
    return pending;
  }

  private async fetchAccount(credentials: KlaviyoCredentials): Promise<KlaviyoAccount> {
    const api = new KlaviyoAPI({ baseUrl: this.deps.klaviyo.apiUrl, revision: this.deps.klaviyo.revision, credentials });
    try {
      return (await waitingOutRateLimit(() => api.getAccount())).data;
    } catch (error) {
      if (error instanceof KlaviyoFailure && error.retryable) {
        throw new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `Klaviyo could not be asked for the account: ${error.detail}`);
      }
      throw error;
    }
  }

  private oauthFailure(error: unknown, field: string): Error {
    if (!(error instanceof OAuthError)) return error as Error;
    if (error.retryable) return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, `Klaviyo's token endpoint is unavailable: ${error.description}`);
    if (error.error === 'invalid_client') {
      this.logger.error("Klaviyo refused this gateway's OAuth client credentials (invalid_client): check KLAVIYO_CLIENT_ID and KLAVIYO_CLIENT_SECRET");
      return new GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, "Klaviyo refused this gateway's OAuth client credentials: an operator must fix KLAVIYO_CLIENT_ID / KLAVIYO_CLIENT_SECRET");
    }
    return new BadUserInputError(field, `Klaviyo refused the authorization code (${error.error}: ${error.description}): begin the authorization again`);
  }

  private async revokeWithRetries(connection: ConnectionRecord): Promise<boolean> {
    let refreshToken: string;
    try {
      refreshToken = await this.accessTokens.openSecret(connection, 'refresh_token');
    } catch {
      return false; // nothing usable to revoke with
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.deps.oauth!.revoke(refreshToken);
        return true;
      } catch (error) {
        const delay = REVOKE_RETRY_DELAYS_MS[attempt];
        if (error instanceof OAuthError && error.retryable && delay !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          continue;
        }
        if (error instanceof OAuthError && !error.retryable) return true; // Klaviyo no longer knows the grant: nothing left to revoke
        this.logger.warn({ connectionId: connection.id, err: error }, 'could not revoke the Klaviyo grant');
        return false;
      }
    }
  }
}
