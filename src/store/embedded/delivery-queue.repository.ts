import type { Database, Statement } from 'better-sqlite3';
import type { ConnectionActivity, DeliveryOutcome, DeliveryQueue } from '../delivery-queue.port';
import type { DeliveryQuery, DeliveryRecord } from '../intake.port';
import { deliveryFilter, toDelivery } from './intake.repository';

/** The delivery queue in SQLite: leases and claims are single UPDATEs, so two processes never both win. */
export class EmbeddedDeliveryQueue implements DeliveryQueue {
  private readonly lease: Statement;
  private readonly claim: Statement;

  constructor(private readonly db: Database) {
    this.lease = db.prepare(
      `INSERT INTO connection_leases (connection_id, owner, until) VALUES (@connectionId, @owner, @until)
       ON CONFLICT (connection_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE connection_leases.owner = excluded.owner OR connection_leases.until < @now`,
    );
    this.claim = db.prepare(
      `UPDATE deliveries SET status = 'DELIVERING', last_attempt_at = @now, first_attempt_at = COALESCE(first_attempt_at, @now), updated_at = @now
       WHERE id IN (
         SELECT id FROM deliveries
         WHERE connection_id = @connectionId
           AND (status = 'QUEUED'
             OR (status = 'RETRYING' AND next_attempt_at <= @now)
             OR (status = 'DELIVERING' AND last_attempt_at < @staleBefore))
         ORDER BY created_at, id LIMIT @limit)
       RETURNING *`,
    );
  }

  async acquireLease(connectionId: string, owner: string, until: Date, now: Date): Promise<boolean> {
    return this.lease.run({ connectionId, owner, until: until.toISOString(), now: now.toISOString() }).changes === 1;
  }

  async releaseLease(connectionId: string, owner: string): Promise<void> {
    this.db.prepare('DELETE FROM connection_leases WHERE connection_id = ? AND owner = ?').run(connectionId, owner);
  }

  async claimDue(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<DeliveryRecord[]> {
    const rows = this.claim.all({ connectionId, now: now.toISOString(), staleBefore: staleBefore.toISOString(), limit }) as Parameters<typeof toDelivery>[0][];
    return rows.map(toDelivery).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  async recordOutcomes(outcomes: readonly DeliveryOutcome[], now: Date): Promise<void> {
    const update = this.db.prepare(
      `UPDATE deliveries SET status = @status, attempts = attempts + 1, next_attempt_at = @nextAttemptAt, failure = @failure,
         delivered_at = CASE WHEN @status = 'DELIVERED' THEN @now ELSE delivered_at END, updated_at = @now
       WHERE id = @id AND status = 'DELIVERING'`,
    );
    this.db.transaction(() => {
      for (const outcome of outcomes) {
        update.run({ id: outcome.id, status: outcome.status, nextAttemptAt: outcome.nextAttemptAt?.toISOString() ?? null, failure: outcome.failure ? JSON.stringify(outcome.failure) : null, now: now.toISOString() });
      }
    })();
  }

  async holdConnection(connectionId: string, now: Date): Promise<number> {
    return this.db
      .prepare("UPDATE deliveries SET status = 'HELD', updated_at = ? WHERE connection_id = ? AND status IN ('QUEUED', 'RETRYING', 'DELIVERING')")
      .run(now.toISOString(), connectionId).changes;
  }

  async releaseHeld(connectionId: string, now: Date): Promise<number> {
    return this.db.prepare("UPDATE deliveries SET status = 'QUEUED', next_attempt_at = NULL, updated_at = ? WHERE connection_id = ? AND status = 'HELD'").run(now.toISOString(), connectionId).changes;
  }

  async requeue(brand: string, query: DeliveryQuery, now: Date): Promise<number> {
    const { where, params } = deliveryFilter(brand, query);
    return this.db
      .prepare(`UPDATE deliveries SET status = 'QUEUED', next_attempt_at = NULL, first_attempt_at = NULL, failure = NULL, updated_at = ? WHERE ${where} AND status IN ('FAILED', 'HELD')`)
      .run(now.toISOString(), ...params).changes;
  }

  async activity(connectionId: string, since: Date): Promise<ConnectionActivity> {
    const counts = this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE status = 'HELD') AS held,
                count(*) FILTER (WHERE status IN ('QUEUED', 'RETRYING', 'DELIVERING')) AS pending,
                count(*) FILTER (WHERE status = 'DELIVERED' AND delivered_at >= @since) AS delivered,
                max(delivered_at) AS last_delivered
         FROM deliveries WHERE connection_id = @connectionId`,
      )
      .get({ connectionId, since: since.toISOString() }) as { held: number; pending: number; delivered: number; last_delivered: string | null };
    const failures = this.db
      .prepare(
        `SELECT status, json_extract(failure, '$.category') AS category, count(*) AS count,
                (SELECT json_extract(f.failure, '$.detail') || char(0) || f.metric_id FROM deliveries f
                  WHERE f.connection_id = d.connection_id AND f.status = d.status AND json_extract(f.failure, '$.category') = json_extract(d.failure, '$.category')
                  ORDER BY f.updated_at DESC LIMIT 1) AS latest
         FROM deliveries d
         WHERE connection_id = @connectionId AND status IN ('FAILED', 'RETRYING') AND failure IS NOT NULL AND updated_at >= @since
         GROUP BY status, category`,
      )
      .all({ connectionId, since: since.toISOString() }) as Array<{ status: 'FAILED' | 'RETRYING'; category: string; count: number; latest: string }>;
    return {
      held: counts.held,
      pending: counts.pending,
      delivered: counts.delivered,
      lastDeliveredAt: counts.last_delivered ? new Date(counts.last_delivered) : null,
      failures: failures.map((f) => {
        const [detail = '', metricId = ''] = f.latest.split('\u0000');
        return { status: f.status, category: f.category, count: f.count, detail, metricId };
      }),
    };
  }
}
