import { Schema, type Connection, type Model } from 'mongoose';

/** The identity graph, signals and deliveries in MongoDB. Every collection leads with `brand` (the shard key). */

export interface ProfileDoc {
  _id: string;
  brand: string;
  attributes: Record<string, unknown>;
  mergedInto: string | null;
  mergedProfileIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** `_id` is brand|kind|value: the unique index that makes an identifier belong to one profile. */
export interface ProfileIdentifierDoc {
  _id: string;
  brand: string;
  kind: string;
  value: string;
  profileId: string;
}

export interface SignalDoc {
  _id: string;
  brand: string;
  metricId: string;
  metricKey: string;
  metricVersion: number;
  profileId: string | null;
  occurredAt: Date;
  receivedAt: Date;
  properties: Record<string, unknown>;
  value: number | null;
  valueCurrency: string | null;
  idempotencyKey: string;
}

export interface DeliveryDoc {
  _id: string;
  brand: string;
  signalId: string;
  connectionId: string;
  environment: 'SANDBOX' | 'PRODUCTION';
  metricId: string;
  profileId: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  deliveredAt: Date | null;
  failure: { category: string; httpStatus: number | null; code: string | null; detail: string; pointer: string | null } | null;
  payload: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

const options = { versionKey: false, minimize: false } as const;

/** The fields every queued job shares (deliveries, profile imports, deletion requests): attempts and their outcome. */
const attemptFields = {
  attempts: { type: Number, default: 0 },
  nextAttemptAt: { type: Date, default: null },
  firstAttemptAt: { type: Date, default: null },
  lastAttemptAt: { type: Date, default: null },
  failure: { type: Schema.Types.Mixed, default: null },
} as const;

export const profileSchema = new Schema<ProfileDoc>(
  {
    _id: String,
    brand: { type: String, required: true },
    attributes: { type: Schema.Types.Mixed, default: {} },
    mergedInto: { type: String, default: null },
    mergedProfileIds: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'profiles' },
);
profileSchema.index({ brand: 1, createdAt: 1 });

export const profileIdentifierSchema = new Schema<ProfileIdentifierDoc>(
  { _id: String, brand: { type: String, required: true }, kind: { type: String, required: true }, value: { type: String, required: true }, profileId: { type: String, required: true } },
  { ...options, collection: 'profile_identifiers' },
);
profileIdentifierSchema.index({ brand: 1, profileId: 1 });

export const signalSchema = new Schema<SignalDoc>(
  {
    _id: String,
    brand: { type: String, required: true },
    metricId: { type: String, required: true },
    metricKey: { type: String, required: true },
    metricVersion: { type: Number, required: true },
    profileId: { type: String, default: null },
    occurredAt: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    properties: { type: Schema.Types.Mixed, required: true },
    value: { type: Number, default: null },
    valueCurrency: { type: String, default: null },
    idempotencyKey: { type: String, required: true },
  },
  { ...options, collection: 'signals' },
);
signalSchema.index({ brand: 1, idempotencyKey: 1 }, { unique: true });
signalSchema.index({ brand: 1, profileId: 1 });

export const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: String,
    brand: { type: String, required: true },
    signalId: { type: String, required: true },
    connectionId: { type: String, required: true },
    environment: { type: String, required: true },
    metricId: { type: String, required: true },
    profileId: { type: String, default: null },
    status: { type: String, required: true },
    ...attemptFields,
    deliveredAt: { type: Date, default: null },
    payload: { type: Schema.Types.Mixed, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'deliveries' },
);
deliverySchema.index({ brand: 1, signalId: 1 });
deliverySchema.index({ brand: 1, createdAt: 1, _id: 1 });
deliverySchema.index({ connectionId: 1, status: 1, nextAttemptAt: 1 });

export interface DeletionRequestDoc {
  _id: string;
  brand: string;
  connectionId: string;
  environment: 'SANDBOX' | 'PRODUCTION';
  identifiers: Array<{ kind: string; value: string }>;
  status: 'PENDING' | 'DELIVERING' | 'RETRYING' | 'SENT' | 'FAILED';
  attempts: number;
  nextAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  failure: DeliveryDoc['failure'];
  createdAt: Date;
  updatedAt: Date | null;
}

/** A profile update for POST /api/profile-import, queued by identify. */
export interface ProfileImportDoc {
  _id: string;
  brand: string;
  connectionId: string;
  environment: 'SANDBOX' | 'PRODUCTION';
  profileId: string;
  payload: Record<string, unknown>;
  status: 'QUEUED' | 'DELIVERING' | 'DELIVERED' | 'RETRYING' | 'FAILED';
  attempts: number;
  nextAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  failure: DeliveryDoc['failure'];
  createdAt: Date;
  updatedAt: Date;
}

export const deletionRequestSchema = new Schema<DeletionRequestDoc>(
  {
    _id: String,
    brand: { type: String, required: true },
    connectionId: { type: String, required: true },
    environment: { type: String, required: true },
    identifiers: { type: [{ _id: false, kind: String, value: String }], default: [] },
    status: { type: String, default: 'PENDING' },
    ...attemptFields,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, default: null },
  },
  { ...options, collection: 'deletion_requests' },
);

export const profileImportSchema = new Schema<ProfileImportDoc>(
  {
    _id: String,
    brand: { type: String, required: true },
    connectionId: { type: String, required: true },
    environment: { type: String, required: true },
    profileId: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    status: { type: String, default: 'QUEUED' },
    ...attemptFields,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'profile_imports' },
);
profileImportSchema.index({ connectionId: 1, status: 1, nextAttemptAt: 1 });
deletionRequestSchema.index({ connectionId: 1, status: 1 });

/** Who sends for a connection right now: one sender per Klaviyo account across all instances. */
export interface ConnectionLeaseDoc {
  _id: string;
  owner: string;
  until: Date;
}

export const connectionLeaseSchema = new Schema<ConnectionLeaseDoc>({ _id: String, owner: { type: String, required: true }, until: { type: Date, required: true } }, { ...options, collection: 'connection_leases' });

export interface IntakeModels {
  readonly Profile: Model<ProfileDoc>;
  readonly ProfileIdentifier: Model<ProfileIdentifierDoc>;
  readonly Signal: Model<SignalDoc>;
  readonly Delivery: Model<DeliveryDoc>;
  readonly DeletionRequest: Model<DeletionRequestDoc>;
  readonly ConnectionLease: Model<ConnectionLeaseDoc>;
  readonly ProfileImport: Model<ProfileImportDoc>;
}

export function intakeModels(connection: Connection): IntakeModels {
  const model = <T>(name: string, schema: Schema<T>) => (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema);
  return {
    Profile: model('Profile', profileSchema),
    ProfileIdentifier: model('ProfileIdentifier', profileIdentifierSchema),
    Signal: model('Signal', signalSchema),
    Delivery: model('Delivery', deliverySchema),
    DeletionRequest: model('DeletionRequest', deletionRequestSchema),
    ConnectionLease: model('ConnectionLease', connectionLeaseSchema),
    ProfileImport: model('ProfileImport', profileImportSchema),
  };
}
