import { BadUserInputError } from '../schema/errors';
import type { DeliveryCursor, DeliveryQuery, DeliveryRecord, DeliveryStatus, Environment, MetricDefinitionRecord, Store } from '../store';

export const MAX_PAGE_SIZE = 200;

export interface DeliveryFilter {
  readonly metric?: string | null;
  readonly status?: readonly DeliveryStatus[] | null;
  readonly environment?: Environment | null;
  readonly connectionId?: string | null;
  readonly failureCategory?: string | null;
  readonly profileId?: string | null;
  readonly since?: Date | null;
  readonly until?: Date | null;
}

export interface DeliveryPageResult {
  readonly edges: Array<{ cursor: string; node: DeliveryRecord }>;
  readonly pageInfo: { hasNextPage: boolean; endCursor: string | null };
  readonly totalCount: number;
}

export interface MetricDeliveryStats {
  readonly metric: MetricDefinitionRecord;
  readonly environment: Environment;
  readonly received: number;
  readonly delivered: number;
  readonly failed: number;
  readonly retrying: number;
  readonly held: number;
  readonly shadowed: number;
  readonly lastDeliveredAt: Date | null;
  readonly failuresByCategory: Array<{ category: string; count: number }>;
}

/** Opaque cursors: the (createdAt, id) position of the last delivery of a page. */
export const encodeCursor = ({ createdAt, id }: DeliveryCursor) => Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');

export function decodeCursor(cursor: string): DeliveryCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new BadUserInputError('after', 'Not a cursor this API gave out: pass pageInfo.endCursor of the previous page');
  }
}

/** The read side of deliveries: filtered pages and per-metric stats, brand-scoped. */
export class DeliveryReports {
  constructor(private readonly store: Pick<Store, 'intake' | 'metrics' | 'deliveryQueue'>) {}

  async page(brand: string, filter: DeliveryFilter | null, first: number, after: string | null): Promise<DeliveryPageResult> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new BadUserInputError('first', `first is 1 to ${MAX_PAGE_SIZE}`);
    const query = await this.query(brand, filter);
    if (!query) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    const page = await this.store.intake.listDeliveries(brand, query, first, after ? decodeCursor(after) : null);
    const edges = page.deliveries.map((node) => ({ cursor: encodeCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: page.totalCount };
  }

  async stats(brand: string, since: Date, until: Date | null): Promise<MetricDeliveryStats[]> {
    const end = until ?? new Date();
    if (end.getTime() < since.getTime()) throw new BadUserInputError('until', 'until must not be before since');
    const rows = await this.store.intake.deliveryStats(brand, since, end);
    const metrics = new Map((await this.store.metrics.list(brand)).map((m) => [m.id, m]));
    return rows.flatMap((row) => {
      const metric = metrics.get(row.metricId);
      if (!metric) return [];
      const count = (status: DeliveryStatus) => row.byStatus[status] ?? 0;
      return [
        {
          metric,
          environment: row.environment,
          received: Object.values(row.byStatus).reduce((sum, n) => sum + (n ?? 0), 0),
          delivered: count('DELIVERED'),
          failed: count('FAILED'),
          retrying: count('RETRYING'),
          held: count('HELD'),
          shadowed: count('SHADOWED'),
          lastDeliveredAt: row.lastDeliveredAt,
          failuresByCategory: Object.entries(row.failuresByCategory).map(([category, n]) => ({ category, count: n })),
        },
      ];
    });
  }

  /** retryDeliveries: FAILED and HELD deliveries matching the filter go back to QUEUED; how many did. */
  async retry(brand: string, filter: DeliveryFilter): Promise<number> {
    const query = await this.query(brand, filter);
    return query ? this.store.deliveryQueue.requeue(brand, query, new Date()) : 0;
  }

  /** The filter in store terms; null when it names a metric the brand does not have (nothing can match). */
  private async query(brand: string, filter: DeliveryFilter | null): Promise<DeliveryQuery | null> {
    if (!filter) return {};
    let metricId: string | undefined;
    if (filter.metric) {
      const metric = await this.store.metrics.get(brand, filter.metric);
      if (!metric) return null;
      metricId = metric.id;
    }
    return {
      ...(metricId ? { metricId } : {}),
      ...(filter.status?.length ? { statuses: filter.status } : {}),
      ...(filter.environment ? { environment: filter.environment } : {}),
      ...(filter.connectionId ? { connectionId: filter.connectionId } : {}),
      ...(filter.failureCategory ? { failureCategory: filter.failureCategory } : {}),
      ...(filter.profileId ? { profileId: filter.profileId } : {}),
      ...(filter.since ? { since: filter.since } : {}),
      ...(filter.until ? { until: filter.until } : {}),
    };
  }
}
