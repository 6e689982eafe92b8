import DataLoader from 'dataloader';
import type { ConnectionRecord, DeliveryRecord, MetricDefinitionRecord, ProfileRecord, SignalRecord, Store } from './store';

/**
 * Per-request batching of every by-id read that field resolvers make, scoped
 * to the caller's brand: another brand's id simply loads nothing.
 */
export interface Loaders {
  readonly metric: DataLoader<string, MetricDefinitionRecord | null>;
  readonly profile: DataLoader<string, ProfileRecord | null>;
  readonly signal: DataLoader<string, SignalRecord | null>;
  readonly deliveriesOfSignal: DataLoader<string, DeliveryRecord[]>;
  readonly connection: DataLoader<string, ConnectionRecord | null>;
}

const byId = <T extends { id: string }>(ids: readonly string[], rows: readonly T[]) => {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
};

export function createLoaders(store: Store, brand: string): Loaders {
  return {
    metric: new DataLoader(async (ids) => Promise.all(ids.map((id) => store.metrics.getById(brand, id)))),
    // A merged-away id loads the profile it became, so each id is looked up on its own.
    profile: new DataLoader(async (ids) => Promise.all(ids.map((id) => store.intake.getProfile(brand, id)))),
    signal: new DataLoader(async (ids) => byId(ids, await store.intake.getSignals(brand, ids))),
    deliveriesOfSignal: new DataLoader(async (ids) => {
      const deliveries = await store.intake.deliveriesOfSignals(brand, ids);
      return ids.map((id) => deliveries.filter((d) => d.signalId === id));
    }),
    connection: new DataLoader(async (ids) => Promise.all(ids.map((id) => store.connections.get(brand, id)))),
  };
}
