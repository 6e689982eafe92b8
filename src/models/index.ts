import type { Connection } from 'mongoose';
import { gatewayMetaModel, type GatewayMetaModel } from './gateway-meta.model';
import { migrationModel, type MigrationModel } from './migration.model';

export type { MigrationDoc } from './migration.model';
export type { GatewayMetaDoc } from './gateway-meta.model';

/** Every model of the mongo store, bound to one connection. */
export interface Models {
  readonly Migration: MigrationModel;
  readonly GatewayMeta: GatewayMetaModel;
}

export function bindModels(connection: Connection): Models {
  return { Migration: migrationModel(connection), GatewayMeta: gatewayMetaModel(connection) };
}
