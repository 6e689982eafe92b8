import { Schema, type Connection, type Model } from 'mongoose';

const errorSchema = new Schema({ code: { type: String, required: true }, message: { type: String, required: true }, at: { type: Date, required: true } }, { _id: false });

/** A brand's Klaviyo connection for one environment; secrets only as vault ciphertexts. */
export interface ConnectionDoc {
  _id: string;
  brand: string;
  environment: 'SANDBOX' | 'PRODUCTION';
  authMethod: 'OAUTH' | 'API_KEY';
  status: 'PENDING' | 'CONNECTED' | 'NEEDS_REAUTH' | 'DISCONNECTED';
  klaviyoAccountId: string | null;
  klaviyoAccountName: string | null;
  klaviyoTestAccount: boolean | null;
  scopes: string[];
  accessTokenIssuedAt: Date | null;
  accessTokenExpiresAt: Date | null;
  lastRefreshedAt: Date | null;
  lastError: { code: string; message: string; at: Date } | null;
  configError: { code: string; message: string; at: Date } | null;
  sealedAccessToken: string | null;
  sealedRefreshToken: string | null;
  sealedApiKey: string | null;
  tokenVersion: number;
  refreshClaimOwner: string | null;
  refreshClaimUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const connectionSchema = new Schema<ConnectionDoc>(
  {
    _id: { type: String, required: true },
    brand: { type: String, required: true },
    environment: { type: String, required: true, enum: ['SANDBOX', 'PRODUCTION'] },
    authMethod: { type: String, required: true, enum: ['OAUTH', 'API_KEY'] },
    status: { type: String, required: true, enum: ['PENDING', 'CONNECTED', 'NEEDS_REAUTH', 'DISCONNECTED'] },
    klaviyoAccountId: { type: String, default: null },
    klaviyoAccountName: { type: String, default: null },
    klaviyoTestAccount: { type: Boolean, default: null },
    scopes: { type: [String], default: [] },
    accessTokenIssuedAt: { type: Date, default: null },
    accessTokenExpiresAt: { type: Date, default: null },
    lastRefreshedAt: { type: Date, default: null },
    lastError: { type: errorSchema, default: null },
    configError: { type: errorSchema, default: null },
    sealedAccessToken: { type: String, default: null },
    sealedRefreshToken: { type: String, default: null },
    sealedApiKey: { type: String, default: null },
    tokenVersion: { type: Number, required: true, default: 0 },
    refreshClaimOwner: { type: String, default: null },
    refreshClaimUntil: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'connections', versionKey: false, timestamps: false },
);
// One connection per brand and environment; the shard key leads with brand.
connectionSchema.index({ brand: 1, environment: 1 }, { unique: true });

export type ConnectionModel = Model<ConnectionDoc>;

export function connectionModel(connection: Connection): ConnectionModel {
  return connection.models.Connection ?? connection.model<ConnectionDoc>('Connection', connectionSchema);
}
