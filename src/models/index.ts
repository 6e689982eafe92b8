import type { Connection } from 'mongoose';
import { gatewayMetaModel, type GatewayMetaModel } from './gateway-meta.model';
import { migrationModel, type MigrationModel } from './migration.model';
import { connectionModel, type ConnectionModel } from './connection.model';
import { authorizationStateModel, type AuthorizationStateModel } from './authorization-state.model';
import { metricDefinitionModel, type MetricDefinitionModel } from './metric-definition.model';
import { intakeModels, type IntakeModels } from './intake.models';

export type { MigrationDoc } from './migration.model';
export type { GatewayMetaDoc } from './gateway-meta.model';
export type { ConnectionDoc } from './connection.model';
export type { AuthorizationStateDoc } from './authorization-state.model';
export type { MetricDefinitionDoc, MetricVersionDoc } from './metric-definition.model';
export type { ProfileDoc, ProfileIdentifierDoc, SignalDoc, DeliveryDoc, DeletionRequestDoc } from './intake.models';

/** Every model of the mongo store, bound to one connection. */
export interface Models extends IntakeModels {
  readonly Migration: MigrationModel;
  readonly GatewayMeta: GatewayMetaModel;
  readonly Connection: ConnectionModel;
  readonly AuthorizationState: AuthorizationStateModel;
  readonly MetricDefinition: MetricDefinitionModel;
}

export function bindModels(connection: Connection): Models {
  return {
    Migration: migrationModel(connection),
    GatewayMeta: gatewayMetaModel(connection),
    Connection: connectionModel(connection),
    AuthorizationState: authorizationStateModel(connection),
    MetricDefinition: metricDefinitionModel(connection),
    ...intakeModels(connection),
  };
}
