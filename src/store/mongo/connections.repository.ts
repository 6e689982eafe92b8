import type { AuthorizationStateDoc, ConnectionDoc, Models } from '../../models';
import type {
  AuthorizationStateRecord,
  AuthorizationStateRepository,
  ConnectionRecord,
  ConnectionRepository,
  CredentialsUpdate,
  Environment,
  RefreshedTokens,
  SealedCredentials,
  StatusUpdate,
} from '../connections.port';

const DUPLICATE_KEY = 11000;

function toRecord(doc: ConnectionDoc): ConnectionRecord {
  return {
    id: doc._id,
    brand: doc.brand,
    environment: doc.environment,
    authMethod: doc.authMethod,
    status: doc.status,
    klaviyoAccountId: doc.klaviyoAccountId ?? null,
    klaviyoAccountName: doc.klaviyoAccountName ?? null,
    klaviyoTestAccount: doc.klaviyoTestAccount ?? null,
    scopes: doc.scopes ?? [],
    accessTokenIssuedAt: doc.accessTokenIssuedAt ?? null,
    accessTokenExpiresAt: doc.accessTokenExpiresAt ?? null,
    lastRefreshedAt: doc.lastRefreshedAt ?? null,
    lastError: doc.lastError ?? null,
    configError: doc.configError ?? null,
    credentials: { accessToken: doc.sealedAccessToken ?? null, refreshToken: doc.sealedRefreshToken ?? null, apiKey: doc.sealedApiKey ?? null },
    tokenVersion: doc.tokenVersion,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Connections in MongoDB; every filter carries the brand, which leads the shard key. */
export class MongoConnectionRepository implements ConnectionRepository {
  constructor(private readonly models: Models) {}

  async get(brand: string, id: string): Promise<ConnectionRecord | null> {
    const doc = await this.models.Connection.findOne({ brand, _id: id }).lean<ConnectionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async findByEnvironment(brand: string, environment: Environment): Promise<ConnectionRecord | null> {
    const doc = await this.models.Connection.findOne({ brand, environment }).lean<ConnectionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async list(brand: string): Promise<ConnectionRecord[]> {
    const docs = await this.models.Connection.find({ brand }).sort({ environment: 1, createdAt: 1 }).lean<ConnectionDoc[]>();
    return docs.map(toRecord);
  }

  async ensure(brand: string, environment: Environment, newId: string, now: Date): Promise<ConnectionRecord> {
    try {
      await this.models.Connection.updateOne(
        { brand, environment },
        { $setOnInsert: { _id: newId, brand, environment, authMethod: 'OAUTH', status: 'PENDING', scopes: [], tokenVersion: 0, createdAt: now, updatedAt: now } },
        { upsert: true },
      );
    } catch (error) {
      // Two upserts raced on the unique (brand, environment) index: the other one created it.
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
    }
    return (await this.findByEnvironment(brand, environment))!;
  }

  async saveCredentials(brand: string, id: string, update: CredentialsUpdate, now: Date): Promise<ConnectionRecord> {
    const doc = await this.models.Connection.findOneAndUpdate(
      { brand, _id: id },
      {
        $set: {
          authMethod: update.authMethod,
          status: 'CONNECTED',
          klaviyoAccountId: update.klaviyoAccountId,
          klaviyoAccountName: update.klaviyoAccountName,
          klaviyoTestAccount: update.klaviyoTestAccount,
          scopes: [...update.scopes],
          accessTokenIssuedAt: update.accessTokenIssuedAt,
          accessTokenExpiresAt: update.accessTokenExpiresAt,
          lastRefreshedAt: null,
          lastError: null,
          configError: null,
          sealedAccessToken: update.credentials.accessToken,
          sealedRefreshToken: update.credentials.refreshToken,
          sealedApiKey: update.credentials.apiKey,
          refreshClaimOwner: null,
          refreshClaimUntil: null,
          updatedAt: now,
        },
        $inc: { tokenVersion: 1 },
      },
      { new: true },
    ).lean<ConnectionDoc>();
    if (!doc) throw new Error(`connection ${id} of brand ${brand} does not exist`);
    return toRecord(doc);
  }

  async claimRefresh(brand: string, id: string, expectedVersion: number, owner: string, until: Date, now: Date): Promise<boolean> {
    const result = await this.models.Connection.updateOne(
      { brand, _id: id, tokenVersion: expectedVersion, $or: [{ refreshClaimOwner: null }, { refreshClaimOwner: owner }, { refreshClaimUntil: { $lt: now } }] },
      { $set: { refreshClaimOwner: owner, refreshClaimUntil: until } },
    );
    return result.modifiedCount === 1;
  }

  async completeRefresh(brand: string, id: string, expectedVersion: number, owner: string, tokens: RefreshedTokens, now: Date): Promise<boolean> {
    const result = await this.models.Connection.updateOne(
      { brand, _id: id, tokenVersion: expectedVersion, refreshClaimOwner: owner },
      {
        $set: {
          sealedAccessToken: tokens.credentials.accessToken,
          sealedRefreshToken: tokens.credentials.refreshToken,
          accessTokenIssuedAt: tokens.accessTokenIssuedAt,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          scopes: [...tokens.scopes],
          lastRefreshedAt: now,
          refreshClaimOwner: null,
          refreshClaimUntil: null,
          configError: null,
          updatedAt: now,
        },
        $inc: { tokenVersion: 1 },
      },
    );
    return result.modifiedCount === 1;
  }

  async releaseRefresh(brand: string, id: string, owner: string): Promise<void> {
    await this.models.Connection.updateOne({ brand, _id: id, refreshClaimOwner: owner }, { $set: { refreshClaimOwner: null, refreshClaimUntil: null } });
  }

  async updateStatus(brand: string, id: string, update: StatusUpdate, now: Date): Promise<ConnectionRecord | null> {
    const set: Record<string, unknown> = { updatedAt: now };
    if (update.status !== undefined) set.status = update.status;
    if (update.lastError !== undefined) set.lastError = update.lastError;
    if (update.configError !== undefined) set.configError = update.configError;
    const change: Record<string, unknown> = { $set: set };
    if (update.wipeCredentials) {
      Object.assign(set, { sealedAccessToken: null, sealedRefreshToken: null, sealedApiKey: null, accessTokenExpiresAt: null, accessTokenIssuedAt: null });
      change.$inc = { tokenVersion: 1 };
    }
    const doc = await this.models.Connection.findOneAndUpdate({ brand, _id: id }, change, { new: true }).lean<ConnectionDoc>();
    return doc ? toRecord(doc) : null;
  }

  async listAllBrands(): Promise<ConnectionRecord[]> {
    const docs = await this.models.Connection.find({}).sort({ brand: 1, environment: 1 }).lean<ConnectionDoc[]>();
    return docs.map(toRecord);
  }

  async resealCredentials(brand: string, id: string, expectedVersion: number, credentials: SealedCredentials, now: Date): Promise<boolean> {
    const result = await this.models.Connection.updateOne(
      { brand, _id: id, tokenVersion: expectedVersion },
      { $set: { sealedAccessToken: credentials.accessToken, sealedRefreshToken: credentials.refreshToken, sealedApiKey: credentials.apiKey, updatedAt: now } },
    );
    return result.modifiedCount === 1;
  }
}

const toState = (doc: AuthorizationStateDoc): AuthorizationStateRecord => ({
  state: doc._id,
  brand: doc.brand,
  environment: doc.environment,
  connectionId: doc.connectionId,
  sealedVerifier: doc.sealedVerifier,
  createdAt: doc.createdAt,
  expiresAt: doc.expiresAt,
});

export class MongoAuthorizationStateRepository implements AuthorizationStateRepository {
  constructor(private readonly models: Models) {}

  async create(record: AuthorizationStateRecord): Promise<void> {
    await this.models.AuthorizationState.create({
      _id: record.state,
      brand: record.brand,
      environment: record.environment,
      connectionId: record.connectionId,
      sealedVerifier: record.sealedVerifier,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      purgeAt: new Date(record.expiresAt.getTime() + 86_400_000),
    });
  }

  async consume(state: string, brand?: string): Promise<AuthorizationStateRecord | null> {
    const doc = await this.models.AuthorizationState.findOneAndDelete({ _id: state, ...(brand === undefined ? {} : { brand }) }).lean<AuthorizationStateDoc>();
    return doc ? toState(doc) : null;
  }

  async listAll(): Promise<AuthorizationStateRecord[]> {
    return (await this.models.AuthorizationState.find({}).lean<AuthorizationStateDoc[]>()).map(toState);
  }

  async reseal(state: string, sealedVerifier: string): Promise<void> {
    await this.models.AuthorizationState.updateOne({ _id: state }, { $set: { sealedVerifier } });
  }
}
