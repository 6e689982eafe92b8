import { FailureCategory, type KlaviyoFailure } from '../datasources/klaviyo';
import type { DeliveryFailureRecord } from '../store';

/**
 * What happens to a delivery after an attempt, as a pure decision. The
 * category of the failure decides, never a status code checked elsewhere:
 *
 * | outcome                          | decision                                         |
 * |----------------------------------|--------------------------------------------------|
 * | accepted (202)                   | DELIVERED                                        |
 * | AUTH (401, invalid_grant)        | HELD, connection NEEDS_REAUTH (after one refresh) |
 * | SCOPE (403)                      | HELD, connection NEEDS_REAUTH                    |
 * | PAYLOAD (400/409/413/415/422)    | FAILED, with Klaviyo's pointer and detail        |
 * | RATE_LIMIT (429)                 | RETRYING at Retry-After (or backoff)             |
 * | UPSTREAM, NETWORK (5xx, 408, ...) | RETRYING with full-jitter backoff, until the retry window ends: FAILED |
 */

export interface RetryPolicyOptions {
  /** RETRY_WINDOW: how long after the first attempt retryable failures keep retrying. Default 24 h. */
  readonly retryWindowMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = { retryWindowMs: 24 * 3600_000, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 };

export interface AttemptContext {
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  readonly firstAttemptAt: Date;
  readonly now: Date;
  /** 0 <= random < 1; injected so the decision stays a pure function. */
  readonly random: number;
}

export type RetryDecision =
  | { readonly status: 'DELIVERED' }
  | { readonly status: 'RETRYING'; readonly nextAttemptAt: Date; readonly failure: DeliveryFailureRecord }
  | { readonly status: 'FAILED'; readonly failure: DeliveryFailureRecord }
  | { readonly status: 'HELD'; readonly failure: DeliveryFailureRecord; readonly connectionNeedsReauth: true };

export function failureRecord(failure: KlaviyoFailure): DeliveryFailureRecord {
  return { category: failure.category, httpStatus: failure.httpStatus ?? null, code: failure.code ?? null, detail: failure.detail, pointer: failure.pointer ?? null };
}

/** Full jitter (AWS architecture blog): a random wait in [0, min(cap, base * 2^(attempt-1))). */
export function backoffDelayMs(attempts: number, random: number, { baseDelayMs, maxDelayMs }: Pick<RetryPolicyOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random * ceiling);
}

export function decideAfterAttempt(outcome: 'accepted' | KlaviyoFailure, context: AttemptContext, options: RetryPolicyOptions = DEFAULT_RETRY_POLICY): RetryDecision {
  if (outcome === 'accepted') return { status: 'DELIVERED' };
  const failure = failureRecord(outcome);
  switch (outcome.category) {
    case FailureCategory.AUTH:
    case FailureCategory.SCOPE:
      return { status: 'HELD', failure, connectionNeedsReauth: true };
    case FailureCategory.PAYLOAD:
      return { status: 'FAILED', failure };
    case FailureCategory.RATE_LIMIT:
    case FailureCategory.UPSTREAM:
    case FailureCategory.NETWORK: {
      const delay =
        outcome.category === FailureCategory.RATE_LIMIT && outcome.retryAfterMs !== undefined
          ? outcome.retryAfterMs
          : backoffDelayMs(context.attempts, context.random, options);
      const nextAttemptAt = new Date(context.now.getTime() + delay);
      if (nextAttemptAt.getTime() - context.firstAttemptAt.getTime() > options.retryWindowMs) {
        return { status: 'FAILED', failure: { ...failure, detail: `${failure.detail} (gave up: still failing ${Math.round(options.retryWindowMs / 3600_000)} h after the first attempt)` } };
      }
      return { status: 'RETRYING', nextAttemptAt, failure };
    }
    default:
      return assertNever(outcome.category);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown failure category ${String(value)}`);
}
