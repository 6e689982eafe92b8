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
  return new BrandLoaders(store, brand);
}

/**
 * Each loader is made on first use: most requests (every recordSignal) read
 * through none or one of them, and five DataLoaders a request add up.
 */
class BrandLoaders implements Loaders {
  private metricLoader?: Loaders['metric'];
  private profileLoader?: Loaders['profile'];
  private signalLoader?: Loaders['signal'];
  private deliveriesLoader?: Loaders['deliveriesOfSignal'];
  private connectionLoader?: Loaders['connection'];

  constructor(
    private readonly store: Store,
    private readonly brand: string,
  ) {}

  get metric(): Loaders['metric'] {
    return (this.metricLoader ??= new DataLoader(async (ids) => Promise.all(ids.map((id) => this.store.metrics.getById(this.brand, id)))));
  }

  // A merged-away id loads the profile it became, so each id is looked up on its own.
  get profile(): Loaders['profile'] {
    return (this.profileLoader ??= new DataLoader(async (ids) => Promise.all(ids.map((id) => this.store.intake.getProfile(this.brand, id)))));
  }

  get signal(): Loaders['signal'] {
    return (this.signalLoader ??= new DataLoader(async (ids) => byId(ids, await this.store.intake.getSignals(this.brand, ids))));
  }

  get deliveriesOfSignal(): Loaders['deliveriesOfSignal'] {
    return (this.deliveriesLoader ??= new DataLoader(async (ids) => {
      const deliveries = await this.store.intake.deliveriesOfSignals(this.brand, ids);
      return ids.map((id) => deliveries.filter((d) => d.signalId === id));
    }));
  }

  get connection(): Loaders['connection'] {
    return (this.connectionLoader ??= new DataLoader(async (ids) => Promise.all(ids.map((id) => this.store.connections.get(this.brand, id)))));
  }
}
