import { Schema, type Connection, type Model } from 'mongoose';

/** Facts about the store itself, such as the id made when it was first migrated. */
export interface GatewayMetaDoc {
  _id: string;
  value: string;
}

export const gatewayMetaSchema = new Schema<GatewayMetaDoc>(
  {
    _id: { type: String, required: true },
    value: { type: String, required: true },
  },
  { collection: 'gateway_meta', versionKey: false },
);

export type GatewayMetaModel = Model<GatewayMetaDoc>;

export function gatewayMetaModel(connection: Connection): GatewayMetaModel {
  return connection.models.GatewayMeta ?? connection.model<GatewayMetaDoc>('GatewayMeta', gatewayMetaSchema);
}
