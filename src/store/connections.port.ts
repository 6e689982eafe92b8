/**
 * The connections aggregate of the storage port: one Klaviyo connection per
 * brand and environment, its sealed credentials (vault ciphertexts, never
 * plaintext), and the one-time OAuth authorization states.
 */

export type Environment = 'SANDBOX' | 'PRODUCTION';
export type AuthMethod = 'OAUTH' | 'API_KEY';
export type ConnectionStatus = 'PENDING' | 'CONNECTED' | 'NEEDS_REAUTH' | 'DISCONNECTED';

export interface ConnectionErrorRecord {
  readonly code: string;
  readonly message: string;
  readonly at: Date;
}

/** Vault ciphertexts of a connection's secrets. */
export interface SealedCredentials {
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
  readonly apiKey: string | null;
}

export const NO_CREDENTIALS: SealedCredentials = Object.freeze({ accessToken: null, refreshToken: null, apiKey: null });

export interface ConnectionRecord {
  readonly id: string;
  readonly brand: string;
  readonly environment: Environment;
  readonly authMethod: AuthMethod;
  readonly status: ConnectionStatus;
  readonly klaviyoAccountId: string | null;
  readonly klaviyoAccountName: string | null;
  readonly klaviyoTestAccount: boolean | null;
  readonly scopes: readonly string[];
  readonly accessTokenIssuedAt: Date | null;
  readonly accessTokenExpiresAt: Date | null;
  readonly lastRefreshedAt: Date | null;
  /** Why the connection stopped working, for the person who must fix it. */
  readonly lastError: ConnectionErrorRecord | null;
  /** A gateway-side configuration fault (e.g. invalid_client) that leaves the status as it is. */
  readonly configError: ConnectionErrorRecord | null;
  readonly credentials: SealedCredentials;
  /** +1 on every change of credentials; refreshes compare-and-set on it. */
  readonly tokenVersion: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a completed OAuth install or a checked API key writes onto the connection. */
export interface CredentialsUpdate {
  readonly authMethod: AuthMethod;
  readonly credentials: SealedCredentials;
  readonly scopes: readonly string[];
  readonly klaviyoAccountId: string;
  readonly klaviyoAccountName: string | null;
  readonly klaviyoTestAccount: boolean;
  readonly accessTokenIssuedAt: Date | null;
  readonly accessTokenExpiresAt: Date | null;
}

export interface RefreshedTokens {
  readonly credentials: SealedCredentials;
  readonly accessTokenIssuedAt: Date;
  readonly accessTokenExpiresAt: Date;
  readonly scopes: readonly string[];
}

export interface StatusUpdate {
  readonly status?: ConnectionStatus;
  /** `null` clears it; omitted leaves it. */
  readonly lastError?: ConnectionErrorRecord | null;
  readonly configError?: ConnectionErrorRecord | null;
  /** Wipes every sealed secret (disconnect). */
  readonly wipeCredentials?: boolean;
}

export interface ConnectionRepository {
  /** The brand's connection; another brand's id reads as missing. */
  get(brand: string, id: string): Promise<ConnectionRecord | null>;
  findByEnvironment(brand: string, environment: Environment): Promise<ConnectionRecord | null>;
  list(brand: string): Promise<ConnectionRecord[]>;
  /** The brand's connection for the environment, created PENDING (with `newId`) if there is none. */
  ensure(brand: string, environment: Environment, newId: string, now: Date): Promise<ConnectionRecord>;
  /** Installs new credentials on the SAME connection: CONNECTED, errors cleared, version +1. */
  saveCredentials(brand: string, id: string, update: CredentialsUpdate, now: Date): Promise<ConnectionRecord>;
  /**
   * Takes the right to refresh, across every process sharing the store:
   * true only if the version is still `expectedVersion` and no other owner
   * holds an unexpired claim.
   */
  claimRefresh(brand: string, id: string, expectedVersion: number, owner: string, until: Date, now: Date): Promise<boolean>;
  /** Stores refreshed tokens if `owner` still holds the claim at `expectedVersion`; version +1, claim released. */
  completeRefresh(brand: string, id: string, expectedVersion: number, owner: string, tokens: RefreshedTokens, now: Date): Promise<boolean>;
  releaseRefresh(brand: string, id: string, owner: string): Promise<void>;
  updateStatus(brand: string, id: string, update: StatusUpdate, now: Date): Promise<ConnectionRecord | null>;
  /** Every connection of every brand: for maintenance (rotate-keys) only. */
  listAllBrands(): Promise<ConnectionRecord[]>;
  /** Replaces ciphertexts without changing what they hold (re-encryption), if the version is unchanged. */
  resealCredentials(brand: string, id: string, expectedVersion: number, credentials: SealedCredentials, now: Date): Promise<boolean>;
}

export interface AuthorizationStateRecord {
  readonly state: string;
  readonly brand: string;
  readonly environment: Environment;
  readonly connectionId: string;
  /** The PKCE verifier, sealed by the vault (bound to the state). */
  readonly sealedVerifier: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface AuthorizationStateRepository {
  create(record: AuthorizationStateRecord): Promise<void>;
  /**
   * Removes and returns the state in one step, so it can be used once; null
   * when unknown, already used, or (given `brand`) another brand's.
   */
  consume(state: string, brand?: string): Promise<AuthorizationStateRecord | null>;
  /** Every state, for rotate-keys. */
  listAll(): Promise<AuthorizationStateRecord[]>;
  reseal(state: string, sealedVerifier: string): Promise<void>;
}
