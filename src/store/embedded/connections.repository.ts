import type { Database, Statement } from 'better-sqlite3';
import type {
  AuthorizationStateRecord,
  AuthorizationStateRepository,
  ConnectionErrorRecord,
  ConnectionRecord,
  ConnectionRepository,
  CredentialsUpdate,
  Environment,
  RefreshedTokens,
  SealedCredentials,
  StatusUpdate,
} from '../connections.port';

interface ConnectionRow {
  id: string;
  brand: string;
  environment: string;
  auth_method: string;
  status: string;
  klaviyo_account_id: string | null;
  klaviyo_account_name: string | null;
  klaviyo_test_account: number | null;
  scopes: string;
  access_token_issued_at: string | null;
  access_token_expires_at: string | null;
  last_refreshed_at: string | null;
  last_error: string | null;
  config_error: string | null;
  sealed_access_token: string | null;
  sealed_refresh_token: string | null;
  sealed_api_key: string | null;
  token_version: number;
  created_at: string;
  updated_at: string;
}

const date = (value: string | null) => (value === null ? null : new Date(value));
const iso = (value: Date | null) => (value === null ? null : value.toISOString());
const errorOf = (value: string | null): ConnectionErrorRecord | null => {
  if (value === null) return null;
  const parsed = JSON.parse(value) as { code: string; message: string; at: string };
  return { ...parsed, at: new Date(parsed.at) };
};
const errorText = (value: ConnectionErrorRecord | null) => (value === null ? null : JSON.stringify({ ...value, at: value.at.toISOString() }));

function toRecord(row: ConnectionRow): ConnectionRecord {
  return {
    id: row.id,
    brand: row.brand,
    environment: row.environment as ConnectionRecord['environment'],
    authMethod: row.auth_method as ConnectionRecord['authMethod'],
    status: row.status as ConnectionRecord['status'],
    klaviyoAccountId: row.klaviyo_account_id,
    klaviyoAccountName: row.klaviyo_account_name,
    klaviyoTestAccount: row.klaviyo_test_account === null ? null : row.klaviyo_test_account === 1,
    scopes: JSON.parse(row.scopes) as string[],
    accessTokenIssuedAt: date(row.access_token_issued_at),
    accessTokenExpiresAt: date(row.access_token_expires_at),
    lastRefreshedAt: date(row.last_refreshed_at),
    lastError: errorOf(row.last_error),
    configError: errorOf(row.config_error),
    credentials: { accessToken: row.sealed_access_token, refreshToken: row.sealed_refresh_token, apiKey: row.sealed_api_key },
    tokenVersion: row.token_version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Connections in SQLite. Every statement that reads by id also filters by brand. */
export class EmbeddedConnectionRepository implements ConnectionRepository {
  private readonly byId: Statement;
  private readonly byEnvironment: Statement;
  private readonly byBrand: Statement;

  constructor(private readonly db: Database) {
    this.byId = db.prepare('SELECT * FROM connections WHERE brand = ? AND id = ?');
    this.byEnvironment = db.prepare('SELECT * FROM connections WHERE brand = ? AND environment = ?');
    // Intake lists a brand's connections for every batch: prepared once.
    this.byBrand = db.prepare('SELECT * FROM connections WHERE brand = ? ORDER BY environment, created_at');
  }

  async get(brand: string, id: string): Promise<ConnectionRecord | null> {
    const row = this.byId.get(brand, id) as ConnectionRow | undefined;
    return row ? toRecord(row) : null;
  }

  async findByEnvironment(brand: string, environment: Environment): Promise<ConnectionRecord | null> {
    const row = this.byEnvironment.get(brand, environment) as ConnectionRow | undefined;
    return row ? toRecord(row) : null;
  }

  async list(brand: string): Promise<ConnectionRecord[]> {
    return (this.byBrand.all(brand) as ConnectionRow[]).map(toRecord);
  }

  async ensure(brand: string, environment: Environment, newId: string, now: Date): Promise<ConnectionRecord> {
    this.db
      .prepare(
        `INSERT INTO connections (id, brand, environment, auth_method, status, created_at, updated_at)
         VALUES (?, ?, ?, 'OAUTH', 'PENDING', ?, ?) ON CONFLICT (brand, environment) DO NOTHING`,
      )
      .run(newId, brand, environment, now.toISOString(), now.toISOString());
    return toRecord(this.byEnvironment.get(brand, environment) as ConnectionRow);
  }

  async saveCredentials(brand: string, id: string, update: CredentialsUpdate, now: Date): Promise<ConnectionRecord> {
    const result = this.db
      .prepare(
        `UPDATE connections SET auth_method = ?, status = 'CONNECTED', klaviyo_account_id = ?, klaviyo_account_name = ?,
           klaviyo_test_account = ?, scopes = ?, access_token_issued_at = ?, access_token_expires_at = ?, last_refreshed_at = NULL,
           last_error = NULL, config_error = NULL, sealed_access_token = ?, sealed_refresh_token = ?, sealed_api_key = ?,
           token_version = token_version + 1, refresh_claim_owner = NULL, refresh_claim_until = NULL, updated_at = ?
         WHERE brand = ? AND id = ?`,
      )
      .run(
        update.authMethod,
        update.klaviyoAccountId,
        update.klaviyoAccountName,
        update.klaviyoTestAccount ? 1 : 0,
        JSON.stringify(update.scopes),
        iso(update.accessTokenIssuedAt),
        iso(update.accessTokenExpiresAt),
        update.credentials.accessToken,
        update.credentials.refreshToken,
        update.credentials.apiKey,
        now.toISOString(),
        brand,
        id,
      );
    if (result.changes === 0) throw new Error(`connection ${id} of brand ${brand} does not exist`);
    return (await this.get(brand, id))!;
  }

  async claimRefresh(brand: string, id: string, expectedVersion: number, owner: string, until: Date, now: Date): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE connections SET refresh_claim_owner = ?, refresh_claim_until = ?
         WHERE brand = ? AND id = ? AND token_version = ?
           AND (refresh_claim_owner IS NULL OR refresh_claim_owner = ? OR refresh_claim_until < ?)`,
      )
      .run(owner, until.toISOString(), brand, id, expectedVersion, owner, now.toISOString());
    return result.changes === 1;
  }

  async completeRefresh(brand: string, id: string, expectedVersion: number, owner: string, tokens: RefreshedTokens, now: Date): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE connections SET sealed_access_token = ?, sealed_refresh_token = ?, access_token_issued_at = ?, access_token_expires_at = ?,
           scopes = ?, last_refreshed_at = ?, token_version = token_version + 1, refresh_claim_owner = NULL, refresh_claim_until = NULL,
           config_error = NULL, updated_at = ?
         WHERE brand = ? AND id = ? AND token_version = ? AND refresh_claim_owner = ?`,
      )
      .run(
        tokens.credentials.accessToken,
        tokens.credentials.refreshToken,
        tokens.accessTokenIssuedAt.toISOString(),
        tokens.accessTokenExpiresAt.toISOString(),
        JSON.stringify(tokens.scopes),
        now.toISOString(),
        now.toISOString(),
        brand,
        id,
        expectedVersion,
        owner,
      );
    return result.changes === 1;
  }

  async releaseRefresh(brand: string, id: string, owner: string): Promise<void> {
    this.db.prepare('UPDATE connections SET refresh_claim_owner = NULL, refresh_claim_until = NULL WHERE brand = ? AND id = ? AND refresh_claim_owner = ?').run(brand, id, owner);
  }

  async updateStatus(brand: string, id: string, update: StatusUpdate, now: Date): Promise<ConnectionRecord | null> {
    const sets: string[] = ['updated_at = @now'];
    const params: Record<string, unknown> = { brand, id, now: now.toISOString() };
    if (update.status !== undefined) {
      sets.push('status = @status');
      params.status = update.status;
    }
    if (update.lastError !== undefined) {
      sets.push('last_error = @lastError');
      params.lastError = errorText(update.lastError);
    }
    if (update.configError !== undefined) {
      sets.push('config_error = @configError');
      params.configError = errorText(update.configError);
    }
    if (update.wipeCredentials) {
      sets.push('sealed_access_token = NULL, sealed_refresh_token = NULL, sealed_api_key = NULL, token_version = token_version + 1, access_token_expires_at = NULL, access_token_issued_at = NULL');
    }
    this.db.prepare(`UPDATE connections SET ${sets.join(', ')} WHERE brand = @brand AND id = @id`).run(params);
    return this.get(brand, id);
  }

  async listAllBrands(): Promise<ConnectionRecord[]> {
    return (this.db.prepare('SELECT * FROM connections ORDER BY brand, environment').all() as ConnectionRow[]).map(toRecord);
  }

  async resealCredentials(brand: string, id: string, expectedVersion: number, credentials: SealedCredentials, now: Date): Promise<boolean> {
    const result = this.db
      .prepare('UPDATE connections SET sealed_access_token = ?, sealed_refresh_token = ?, sealed_api_key = ?, updated_at = ? WHERE brand = ? AND id = ? AND token_version = ?')
      .run(credentials.accessToken, credentials.refreshToken, credentials.apiKey, now.toISOString(), brand, id, expectedVersion);
    return result.changes === 1;
  }
}

interface StateRow {
  state: string;
  brand: string;
  environment: string;
  connection_id: string;
  sealed_verifier: string;
  created_at: string;
  expires_at: string;
}

const toState = (row: StateRow): AuthorizationStateRecord => ({
  state: row.state,
  brand: row.brand,
  environment: row.environment as Environment,
  connectionId: row.connection_id,
  sealedVerifier: row.sealed_verifier,
  createdAt: new Date(row.created_at),
  expiresAt: new Date(row.expires_at),
});

export class EmbeddedAuthorizationStateRepository implements AuthorizationStateRepository {
  constructor(private readonly db: Database) {}

  async create(record: AuthorizationStateRecord): Promise<void> {
    // States expired for a day are of no use even to explain an error: drop them as we go.
    this.db.prepare('DELETE FROM oauth_states WHERE expires_at < ?').run(new Date(record.createdAt.getTime() - 86_400_000).toISOString());
    this.db
      .prepare('INSERT INTO oauth_states (state, brand, environment, connection_id, sealed_verifier, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(record.state, record.brand, record.environment, record.connectionId, record.sealedVerifier, record.createdAt.toISOString(), record.expiresAt.toISOString());
  }

  async consume(state: string, brand?: string): Promise<AuthorizationStateRecord | null> {
    const row = (
      brand === undefined
        ? this.db.prepare('DELETE FROM oauth_states WHERE state = ? RETURNING *').get(state)
        : this.db.prepare('DELETE FROM oauth_states WHERE state = ? AND brand = ? RETURNING *').get(state, brand)
    ) as StateRow | undefined;
    return row ? toState(row) : null;
  }

  async listAll(): Promise<AuthorizationStateRecord[]> {
    return (this.db.prepare('SELECT * FROM oauth_states').all() as StateRow[]).map(toState);
  }

  async reseal(state: string, sealedVerifier: string): Promise<void> {
    this.db.prepare('UPDATE oauth_states SET sealed_verifier = ? WHERE state = ?').run(sealedVerifier, state);
  }
}
