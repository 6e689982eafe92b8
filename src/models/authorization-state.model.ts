import { Schema, type Connection, type Model } from 'mongoose';

/** A one-time OAuth `state` with its sealed PKCE verifier. */
export interface AuthorizationStateDoc {
  _id: string;
  brand: string;
  environment: 'SANDBOX' | 'PRODUCTION';
  connectionId: string;
  sealedVerifier: string;
  createdAt: Date;
  expiresAt: Date;
  /** When MongoDB may delete it: a day after expiry, so a late callback can still be told why it failed. */
  purgeAt: Date;
}

export const authorizationStateSchema = new Schema<AuthorizationStateDoc>(
  {
    _id: { type: String, required: true },
    brand: { type: String, required: true },
    environment: { type: String, required: true },
    connectionId: { type: String, required: true },
    sealedVerifier: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    purgeAt: { type: Date, required: true },
  },
  { collection: 'oauth_states', versionKey: false },
);
authorizationStateSchema.index({ purgeAt: 1 }, { expireAfterSeconds: 0 });

export type AuthorizationStateModel = Model<AuthorizationStateDoc>;

export function authorizationStateModel(connection: Connection): AuthorizationStateModel {
  return connection.models.AuthorizationState ?? connection.model<AuthorizationStateDoc>('AuthorizationState', authorizationStateSchema);
}
