import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ConnectionService } from '../connections';
import { FailureCategory, KlaviyoFailure, type EventPayload, type KlaviyoAPI, type ProfileDeletionPayload, type ProfileImportPayload } from '../datasources/klaviyo';
import { Topic, type EventBus } from '../pubsub';
import type { ConnectionRecord, DeliveryOutcome, DeliveryRecord, DeliveryStatus, Store } from '../store';
import { eventsAtPointer, planRequests, type DueEvent, type SendPlan } from './batching';
import { RateBudget, type KlaviyoEndpoint } from './rate-budget';
import { decideAfterAttempt, DEFAULT_RETRY_POLICY, failureRecord, type RetryPolicyOptions } from './retry-policy';

export interface DeliveryWorkerOptions {
  readonly store: Pick<Store, 'connections' | 'deliveryQueue'>;
  readonly connections: ConnectionService;
  readonly logger: Logger;
  readonly pollIntervalMs?: number;
  /** A sender's lease; a crashed sender's DELIVERING deliveries are taken back after this long. */
  readonly leaseTtlMs?: number;
  /** Deliveries claimed per round: the "batch in flight" a stop lets finish. */
  readonly batchLimit?: number;
  readonly retryPolicy?: RetryPolicyOptions;
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Every status change is published here (never blocking delivery). */
  readonly bus?: EventBus;
}

export type WorkerPhase =
  | { readonly phase: 'idle' }
  | { readonly phase: 'running'; readonly since: Date }
  | { readonly phase: 'draining'; readonly since: Date }
  | { readonly phase: 'stopped' };

const ENDPOINT: Record<SendPlan['kind'], KlaviyoEndpoint> = { single: 'events', bulk: 'bulkEvents' };

/**
 * The delivery engine: leases each connected connection (one sender per
 * Klaviyo account across every instance), claims its due deliveries oldest
 * first, sends them in bulk jobs (or one event alone) within the
 * connection's rate budget, and records what the retry policy decides. Auth
 * failures hold the connection's deliveries until it is reconnected.
 */
export class DeliveryWorker {
  private state: WorkerPhase = { phase: 'idle' };
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  private readonly budgets = new Map<string, RateBudget>();
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly pollIntervalMs: number;
  private readonly leaseTtlMs: number;
  private readonly batchLimit: number;
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.batchLimit = options.batchLimit ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  phase(): WorkerPhase {
    return this.state;
  }

  start(): void {
    if (this.state.phase !== 'idle') return;
    this.state = { phase: 'running', since: this.now() };
    this.schedule(0);
  }

  /** Finishes the batches in flight, releases the leases, stops. */
  async stop(): Promise<void> {
    switch (this.state.phase) {
      case 'idle':
        this.state = { phase: 'stopped' };
        return;
      case 'stopped':
        return;
      case 'draining':
      case 'running':
        this.state = { phase: 'draining', since: this.now() };
        clearTimeout(this.timer);
        await Promise.all(this.busy.values());
        this.state = { phase: 'stopped' };
        return;
      default:
        assertNever(this.state);
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.state.phase !== 'running') return;
    try {
      const connections = (await this.options.store.connections.listAllBrands()).filter((c) => c.status === 'CONNECTED');
      for (const connection of connections) {
        if (this.busy.has(connection.id)) continue;
        const work = this.serve(connection)
          .catch((error: unknown) => this.options.logger.error({ err: error, connectionId: connection.id }, 'delivery round failed'))
          .finally(() => this.busy.delete(connection.id));
        this.busy.set(connection.id, work);
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'delivery worker could not list connections');
    }
    if (this.state.phase === 'running') this.schedule(this.pollIntervalMs);
  }

  /** One round for one connection: lease, claim, send every planned request, release. */
  private async serve(connection: ConnectionRecord): Promise<void> {
    const { deliveryQueue } = this.options.store;
    const leaseUntil = () => new Date(this.now().getTime() + this.leaseTtlMs);
    if (!(await deliveryQueue.acquireLease(connection.id, this.owner, leaseUntil(), this.now()))) return;
    try {
      await this.sendProfileJobs(connection);
      const claimed = await deliveryQueue.claimDue(connection.id, this.now(), new Date(this.now().getTime() - this.leaseTtlMs), this.batchLimit);
      if (claimed.length === 0) return;
      this.publish(connection, 'DELIVERING', claimed.map((d) => d.id));
      const byId = new Map(claimed.map((d) => [d.id, d]));
      const api = this.options.connections.api(connection);
      const due: DueEvent[] = claimed.map((d) => ({ deliveryId: d.id, payload: d.payload as EventPayload }));
      for (const plan of planRequests(due)) {
        const stillOurs = await deliveryQueue.acquireLease(connection.id, this.owner, leaseUntil(), this.now());
        if (!stillOurs) return; // another sender took over (we were too slow): its claims win
        const held = await this.send(api, connection, plan, byId);
        if (held) return;
      }
    } finally {
      await deliveryQueue.releaseLease(connection.id, this.owner);
    }
  }

  /** Profile imports (identify) and deletions (forgetProfile) of the connection, one request each. */
  private async sendProfileJobs(connection: ConnectionRecord): Promise<void> {
    const { deliveryQueue } = this.options.store;
    const jobs = await deliveryQueue.claimProfileJobs(connection.id, this.now(), new Date(this.now().getTime() - this.leaseTtlMs), 100);
    if (jobs.length === 0) return;
    const api = this.options.connections.api(connection);
    const budget = this.budgetOf(connection.id);
    for (const job of jobs) {
      const endpoint: KlaviyoEndpoint = job.kind === 'PROFILE_IMPORT' ? 'profileImport' : 'profileDeletion';
      for (let wait = budget.delayFor(endpoint); wait > 0; wait = budget.delayFor(endpoint)) {
        if (this.state.phase !== 'running') return;
        await sleep(Math.min(wait, 1000));
      }
      budget.take(endpoint);
      try {
        const result = job.kind === 'PROFILE_IMPORT' ? await api.importProfile(job.payload as ProfileImportPayload) : await api.requestProfileDeletion(job.payload as ProfileDeletionPayload);
        budget.observe(endpoint, result.rateLimit);
        await deliveryQueue.recordProfileJobOutcomes([{ id: job.id, status: 'DONE', nextAttemptAt: null, failure: null }], this.now());
      } catch (error) {
        if (!(error instanceof KlaviyoFailure)) throw error;
        if (error.category === FailureCategory.RATE_LIMIT) budget.pause(error.retryAfterMs ?? 1000);
        const failure = failureRecord(error);
        const duplicate = error.code === 'duplicate_profile' && typeof error.meta?.duplicate_profile_id === 'string' ? ` (Klaviyo profile ${error.meta.duplicate_profile_id} already holds one of these identifiers)` : '';
        if (error.category === FailureCategory.AUTH || (error.category === FailureCategory.SCOPE && job.kind === 'PROFILE_IMPORT')) {
          // The connection is broken: this job waits with it, and the deliveries are held on their next attempt.
          await this.options.connections.recordAuthFailure(connection, error);
          await deliveryQueue.recordProfileJobOutcomes([{ id: job.id, status: 'RETRYING', nextAttemptAt: this.now(), failure }], this.now());
          return;
        }
        if (error.category === FailureCategory.SCOPE || error.category === FailureCategory.PAYLOAD) {
          const detail = error.category === FailureCategory.SCOPE ? `${failure.detail}: the connection lacks data-privacy:write (add it to KLAVIYO_SCOPES and reconnect)` : `${failure.detail}${duplicate}`;
          await deliveryQueue.recordProfileJobOutcomes([{ id: job.id, status: 'FAILED', nextAttemptAt: null, failure: { ...failure, detail } }], this.now());
          continue;
        }
        const now = this.now();
        const decision = decideAfterAttempt(error, { attempts: job.attempts + 1, firstAttemptAt: job.firstAttemptAt ?? now, now, random: this.random() }, this.options.retryPolicy ?? DEFAULT_RETRY_POLICY);
        await deliveryQueue.recordProfileJobOutcomes([{ id: job.id, status: decision.status === 'RETRYING' ? 'RETRYING' : 'FAILED', nextAttemptAt: decision.status === 'RETRYING' ? decision.nextAttemptAt : null, failure }], now);
      }
    }
  }

  private budgetOf(connectionId: string): RateBudget {
    let budget = this.budgets.get(connectionId);
    if (!budget) this.budgets.set(connectionId, (budget = new RateBudget(undefined, () => this.now().getTime())));
    return budget;
  }

  /** Sends one planned request and records its outcome; true when the round must end (auth broke, or stopping). */
  private async send(api: KlaviyoAPI, connection: ConnectionRecord, plan: SendPlan, byId: Map<string, DeliveryRecord>): Promise<boolean> {
    const budget = this.budgetOf(connection.id);
    const endpoint = ENDPOINT[plan.kind];
    for (let wait = budget.delayFor(endpoint); wait > 0; wait = budget.delayFor(endpoint)) {
      // Stopping does not wait out a rate limit: what is left is taken back after the lease.
      if (this.state.phase !== 'running') return true;
      await sleep(Math.min(wait, 1000));
    }
    budget.take(endpoint);
    const events = plan.kind === 'single' ? [plan.event] : plan.events;
    try {
      const result = plan.kind === 'single' ? await api.createEvent(plan.event.payload) : await api.bulkCreateEvents(plan.body);
      budget.observe(endpoint, result.rateLimit);
      await this.record(connection, events.map((e) => ({ id: e.deliveryId, status: 'DELIVERED', nextAttemptAt: null, failure: null })));
      return false;
    } catch (error) {
      if (!(error instanceof KlaviyoFailure)) throw error;
      if (error.category === FailureCategory.RATE_LIMIT) budget.pause(error.retryAfterMs ?? 1000);
      if (error.category === FailureCategory.AUTH || error.category === FailureCategory.SCOPE) {
        // Never dropped, never counted as payload failures: held until a person reconnects.
        await this.options.connections.recordAuthFailure(connection, error);
        const held = await this.options.store.deliveryQueue.holdConnection(connection.id, this.now());
        this.publish(connection, 'HELD', [...byId.keys()]);
        this.options.logger.warn({ connectionId: connection.id, brand: connection.brand, held, code: error.code }, 'Klaviyo refused the connection: deliveries held until it is reconnected');
        return true;
      }
      if (error.category === FailureCategory.PAYLOAD && plan.kind === 'bulk') return this.isolatePayloadFailure(api, connection, plan.events, error, byId);
      await this.record(connection, events.map((e) => this.decide(byId.get(e.deliveryId)!, error)));
      return false;
    }
  }

  /**
   * Klaviyo refused a bulk job: fail the events its pointer names and resend
   * the rest; without a pointer, split the job and try each half, until the
   * bad events stand alone.
   */
  private async isolatePayloadFailure(api: KlaviyoAPI, connection: ConnectionRecord, events: readonly DueEvent[], failure: KlaviyoFailure, byId: Map<string, DeliveryRecord>): Promise<boolean> {
    const named = eventsAtPointer(events, failure.pointer);
    if (named.length > 0 && named.length < events.length) {
      await this.record(connection, named.map((e) => ({ id: e.deliveryId, status: 'FAILED', nextAttemptAt: null, failure: failureRecord(failure) })));
      const rest = events.filter((e) => !named.includes(e));
      return this.sendAll(api, connection, rest, byId);
    }
    if (events.length === 1) {
      await this.record(connection, [{ id: events[0]!.deliveryId, status: 'FAILED', nextAttemptAt: null, failure: failureRecord(failure) }]);
      return false;
    }
    const middle = Math.ceil(events.length / 2);
    return (await this.sendAll(api, connection, events.slice(0, middle), byId)) || this.sendAll(api, connection, events.slice(middle), byId);
  }

  private async sendAll(api: KlaviyoAPI, connection: ConnectionRecord, events: readonly DueEvent[], byId: Map<string, DeliveryRecord>): Promise<boolean> {
    for (const plan of planRequests(events)) {
      if (await this.send(api, connection, plan, byId)) return true;
    }
    return false;
  }

  private decide(delivery: DeliveryRecord, failure: KlaviyoFailure): DeliveryOutcome {
    const now = this.now();
    const decision = decideAfterAttempt(failure, { attempts: delivery.attempts + 1, firstAttemptAt: delivery.firstAttemptAt ?? now, now, random: this.random() }, this.options.retryPolicy ?? DEFAULT_RETRY_POLICY);
    switch (decision.status) {
      case 'DELIVERED':
        return { id: delivery.id, status: 'DELIVERED', nextAttemptAt: null, failure: null };
      case 'RETRYING':
        return { id: delivery.id, status: 'RETRYING', nextAttemptAt: decision.nextAttemptAt, failure: decision.failure };
      case 'FAILED':
        return { id: delivery.id, status: 'FAILED', nextAttemptAt: null, failure: decision.failure };
      case 'HELD':
        return { id: delivery.id, status: 'HELD', nextAttemptAt: null, failure: decision.failure };
      default:
        return assertNever(decision);
    }
  }

  private async record(connection: ConnectionRecord, outcomes: DeliveryOutcome[]): Promise<void> {
    await this.options.store.deliveryQueue.recordOutcomes(outcomes, this.now());
    const byStatus = new Map<DeliveryOutcome['status'], string[]>();
    for (const outcome of outcomes) byStatus.set(outcome.status, [...(byStatus.get(outcome.status) ?? []), outcome.id]);
    for (const [status, ids] of byStatus) this.publish(connection, status, ids);
  }

  private publish(connection: ConnectionRecord, status: DeliveryStatus, deliveryIds: string[]): void {
    this.options.bus?.publish(Topic.DeliveryUpdated, { brand: connection.brand, connectionId: connection.id, status, deliveryIds });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
