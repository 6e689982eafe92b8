import { Schema, type Connection, type Model } from 'mongoose';

/** One applied schema migration of the mongo store (`schema_migrations`). */
export interface MigrationDoc {
  _id: number;
  name: string;
  appliedAt: Date;
}

export const migrationSchema = new Schema<MigrationDoc>(
  {
    _id: { type: Number, required: true },
    name: { type: String, required: true },
    appliedAt: { type: Date, required: true },
  },
  { collection: 'schema_migrations', versionKey: false },
);

export type MigrationModel = Model<MigrationDoc>;

export function migrationModel(connection: Connection): MigrationModel {
  return connection.models.Migration ?? connection.model<MigrationDoc>('Migration', migrationSchema);
}
