import type { StoreConfig } from '../config';
import { EmbeddedStore } from './embedded/embedded-store';
import { MongoStore } from './mongo/mongo-store';
import type { Store } from './port';

export type { Store, StoreKind, StoreDescription, AppliedMigration } from './port';
export { StoreClosedError } from './port';
export * from './connections.port';
export * from './metrics.port';
export * from './intake.port';
export * from './delivery-queue.port';
export { EmbeddedStore, EMBEDDED_DB_FILE } from './embedded/embedded-store';
export { MongoStore } from './mongo/mongo-store';

/** Opens the configured store and brings its schema up to date. */
export async function openStore(config: StoreConfig): Promise<Store> {
  switch (config.kind) {
    case 'embedded':
      return EmbeddedStore.open({ dataDir: config.dataDir, intakeWriter: 'thread' });
    case 'mongo':
      return MongoStore.open({ uri: config.uri });
    default:
      return assertNever(config);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown store kind: ${JSON.stringify(value)}`);
}
