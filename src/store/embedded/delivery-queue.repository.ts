import type { Database, Statement } from 'better-sqlite3';
import type { ConnectionActivity, DeliveryOutcome, DeliveryQueue, ProfileJobOutcome, ProfileJobRecord } from '../delivery-queue.port';
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
    const importFailures = this.db
      .prepare(
        `SELECT status, json_extract(failure, '$.category') AS category, count(*) AS count, max(json_extract(failure, '$.detail')) AS detail
         FROM profile_imports WHERE connection_id = @connectionId AND status IN ('FAILED', 'RETRYING') AND failure IS NOT NULL AND updated_at >= @since
         GROUP BY status, category`,
      )
      .all({ connectionId, since: since.toISOString() }) as Array<{ status: 'FAILED' | 'RETRYING'; category: string; count: number; detail: string }>;
    return {
      held: counts.held,
      pending: counts.pending,
      delivered: counts.delivered,
      lastDeliveredAt: counts.last_delivered ? new Date(counts.last_delivered) : null,
      failures: [
        ...failures.map((f) => {
          const [detail = '', metricId = ''] = f.latest.split('\u0000');
          return { status: f.status, category: f.category, count: f.count, detail, metricId };
        }),
        // Profile updates have no metric: the empty metric id names them "profile update".
        ...importFailures.map((f) => ({ status: f.status, category: f.category, count: f.count, detail: f.detail, metricId: '' })),
      ],
    };
  }

  async claimProfileJobs(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<ProfileJobRecord[]> {
    const params = { connectionId, now: now.toISOString(), staleBefore: staleBefore.toISOString(), limit };
    const due = `connection_id = @connectionId AND (status IN ('QUEUED', 'PENDING') OR (status = 'RETRYING' AND next_attempt_at <= @now) OR (status = 'DELIVERING' AND last_attempt_at < @staleBefore))`;
    const claim = this.db.transaction(() => {
      const imports = this.db
        .prepare(`UPDATE profile_imports SET status = 'DELIVERING', last_attempt_at = @now, first_attempt_at = COALESCE(first_attempt_at, @now), updated_at = @now
                  WHERE id IN (SELECT id FROM profile_imports WHERE ${due} ORDER BY created_at, id LIMIT @limit) RETURNING *`)
        .all(params) as Array<{ id: string; brand: string; connection_id: string; payload: string; attempts: number; first_attempt_at: string | null; created_at: string }>;
      const deletions = this.db
        .prepare(`UPDATE deletion_requests SET status = 'DELIVERING', last_attempt_at = @now, first_attempt_at = COALESCE(first_attempt_at, @now), updated_at = @now
                  WHERE id IN (SELECT id FROM deletion_requests WHERE ${due} ORDER BY created_at, id LIMIT @limit) RETURNING *`)
        .all(params) as Array<{ id: string; brand: string; connection_id: string; identifiers: string; attempts: number; first_attempt_at: string | null; created_at: string }>;
      return [
        ...imports.map((row): ProfileJobRecord => ({ id: row.id, kind: 'PROFILE_IMPORT', brand: row.brand, connectionId: row.connection_id, payload: JSON.parse(row.payload) as Record<string, unknown>, attempts: row.attempts, firstAttemptAt: row.first_attempt_at ? new Date(row.first_attempt_at) : null })),
        ...deletions.map((row): ProfileJobRecord => ({ id: row.id, kind: 'PROFILE_DELETION', brand: row.brand, connectionId: row.connection_id, payload: deletionPayload(JSON.parse(row.identifiers) as Array<{ kind: string; value: string }>), attempts: row.attempts, firstAttemptAt: row.first_attempt_at ? new Date(row.first_attempt_at) : null })),
      ];
    });
    return claim.immediate();
  }

  async recordProfileJobOutcomes(outcomes: readonly ProfileJobOutcome[], now: Date): Promise<void> {
    const write = this.db.transaction(() => {
      for (const outcome of outcomes) {
        const params = { id: outcome.id, nextAttemptAt: outcome.nextAttemptAt?.toISOString() ?? null, failure: outcome.failure ? JSON.stringify(outcome.failure) : null, now: now.toISOString() };
        const importStatus = outcome.status === 'DONE' ? 'DELIVERED' : outcome.status;
        const deletionStatus = outcome.status === 'DONE' ? 'SENT' : outcome.status;
        this.db.prepare("UPDATE profile_imports SET status = @status, attempts = attempts + 1, next_attempt_at = @nextAttemptAt, failure = @failure, updated_at = @now WHERE id = @id AND status = 'DELIVERING'").run({ ...params, status: importStatus });
        this.db.prepare("UPDATE deletion_requests SET status = @status, attempts = attempts + 1, next_attempt_at = @nextAttemptAt, failure = @failure, updated_at = @now WHERE id = @id AND status = 'DELIVERING'").run({ ...params, status: deletionStatus });
      }
    });
    write();
  }
}

/** Klaviyo's deletion job finds the profile by email, else by phone number. */
export function deletionPayload(identifiers: ReadonlyArray<{ kind: string; value: string }>): Record<string, unknown> {
  const email = identifiers.find((i) => i.kind === 'EMAIL')?.value;
  const phone = identifiers.find((i) => i.kind === 'PHONE')?.value;
  const attributes = email ? { email } : phone ? { phone_number: phone } : {};
  return { data: { type: 'data-privacy-deletion-job', attributes: { profile: { data: { type: 'profile', attributes } } } } };
}
