import type { DeliveryFailureRecord, DeliveryQuery, DeliveryRecord } from './intake.port';

/**
 * The delivery engine's side of the deliveries aggregate: one sender per
 * connection at a time (a lease, across every process sharing the store), due
 * deliveries claimed oldest first, and the outcome of every attempt.
 */

export interface DeliveryOutcome {
  readonly id: string;
  readonly status: 'DELIVERED' | 'RETRYING' | 'FAILED' | 'HELD';
  readonly nextAttemptAt: Date | null;
  readonly failure: DeliveryFailureRecord | null;
}

/** What a connection's deliveries say about it, for its health. */
export interface ConnectionActivity {
  readonly held: number;
  readonly pending: number;
  readonly lastDeliveredAt: Date | null;
  /** Delivered since `since`. */
  readonly delivered: number;
  /** Deliveries failed or retrying since `since`, by status and category, with the latest detail and metric. */
  readonly failures: ReadonlyArray<{ readonly status: 'FAILED' | 'RETRYING'; readonly category: string; readonly count: number; readonly detail: string; readonly metricId: string }>;
}

/** A profile update (POST /api/profile-import) or deletion (POST /api/data-privacy-deletion-jobs) waiting to go out. */
export interface ProfileJobRecord {
  readonly id: string;
  readonly kind: 'PROFILE_IMPORT' | 'PROFILE_DELETION';
  readonly brand: string;
  readonly connectionId: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly attempts: number;
  readonly firstAttemptAt: Date | null;
}

export interface ProfileJobOutcome {
  readonly id: string;
  readonly status: 'DONE' | 'RETRYING' | 'FAILED';
  readonly nextAttemptAt: Date | null;
  readonly failure: DeliveryFailureRecord | null;
}

export interface DeliveryQueue {
  activity(connectionId: string, since: Date): Promise<ConnectionActivity>;
  /** Due profile imports and deletions of the connection, marked in flight, oldest first. */
  claimProfileJobs(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<ProfileJobRecord[]>;
  recordProfileJobOutcomes(outcomes: readonly ProfileJobOutcome[], now: Date): Promise<void>;
  /** Takes or renews the connection's sender lease; false while another owner's lease is live. */
  acquireLease(connectionId: string, owner: string, until: Date, now: Date): Promise<boolean>;
  releaseLease(connectionId: string, owner: string): Promise<void>;
  /**
   * Marks up to `limit` due deliveries of the connection DELIVERING and returns
   * them, oldest first: QUEUED ones, RETRYING ones whose time has come, and
   * DELIVERING ones abandoned before `staleBefore` (their sender died).
   */
  claimDue(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<DeliveryRecord[]>;
  /** Records the outcome of one attempt of each delivery (attempts + 1). */
  recordOutcomes(outcomes: readonly DeliveryOutcome[], now: Date): Promise<void>;
  /** The connection's auth broke: every delivery that has not gone out becomes HELD. Returns how many. */
  holdConnection(connectionId: string, now: Date): Promise<number>;
  /** The connection works again: its HELD deliveries become QUEUED. Returns how many. */
  releaseHeld(connectionId: string, now: Date): Promise<number>;
  /** retryDeliveries: the brand's FAILED and HELD deliveries matching `query` become QUEUED, with a fresh retry window. */
  requeue(brand: string, query: DeliveryQuery, now: Date): Promise<number>;
}
