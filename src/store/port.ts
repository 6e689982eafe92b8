/**
 * The storage port: what the gateway needs from a database, written once and
 * implemented by the embedded (SQLite) and mongo adapters. Both pass the same
 * contract suite (`__tests__/store.contract.ts`). Aggregates join this
 * interface with the issues that give them behavior.
 */

import type { AuthorizationStateRepository, ConnectionRepository } from './connections.port';
import type { MetricRepository } from './metrics.port';
import type { IntakeRepository } from './intake.port';
import type { DeliveryQueue } from './delivery-queue.port';

export type StoreKind = 'embedded' | 'mongo';

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly appliedAt: Date;
}

export interface StoreDescription {
  readonly kind: StoreKind;
  /** Random id made when the database was first migrated; the same for every process sharing it. */
  readonly storeId: string;
  readonly schemaVersion: number;
}

export interface Store {
  readonly kind: StoreKind;
  readonly connections: ConnectionRepository;
  readonly authorizationStates: AuthorizationStateRepository;
  readonly metrics: MetricRepository;
  readonly intake: IntakeRepository;
  readonly deliveryQueue: DeliveryQueue;
  /** Resolves when the database answers; rejects otherwise. Drives `/readyz`. */
  ping(): Promise<void>;
  describe(): Promise<StoreDescription>;
  /** Migrations recorded in this database, oldest first. */
  appliedMigrations(): Promise<AppliedMigration[]>;
  /** Releases connections and file handles. Safe to call twice. */
  close(): Promise<void>;
}

/** Raised by an adapter used after `close()`. */
export class StoreClosedError extends Error {
  constructor(kind: StoreKind) {
    super(`the ${kind} store is closed`);
    this.name = 'StoreClosedError';
  }
}
