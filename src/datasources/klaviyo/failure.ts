/**
 * The one place a Klaviyo answer becomes a classified failure. Whether to retry
 * belongs to the failure's category, not to status checks scattered around.
 */

/** Why a Klaviyo call failed (the contract's `FailureCategory`). */
export enum FailureCategory {
  AUTH = 'AUTH',
  SCOPE = 'SCOPE',
  PAYLOAD = 'PAYLOAD',
  RATE_LIMIT = 'RATE_LIMIT',
  UPSTREAM = 'UPSTREAM',
  NETWORK = 'NETWORK',
}

const RETRYABLE: Record<FailureCategory, boolean> = {
  [FailureCategory.AUTH]: false, // refresh once, then a person must reconnect
  [FailureCategory.SCOPE]: false,
  [FailureCategory.PAYLOAD]: false,
  [FailureCategory.RATE_LIMIT]: true,
  [FailureCategory.UPSTREAM]: true,
  [FailureCategory.NETWORK]: true,
};

/** Klaviyo's quota as its RateLimit-* headers report it. */
export interface RateLimitState {
  /** Requests left in the tightest window. */
  readonly remaining: number;
  /** Seconds until that window resets. */
  readonly resetSeconds: number;
  /** Each window as `{ limit, windowSeconds }`, from `RateLimit-Limit: 350, 350;w=1, 3500;w=60`. */
  readonly windows: ReadonlyArray<{ readonly limit: number; readonly windowSeconds: number }>;
}

export interface KlaviyoFailureDetails {
  readonly category: FailureCategory;
  readonly detail: string;
  readonly httpStatus?: number;
  /** Klaviyo's error `code`, e.g. "invalid", "throttled", "duplicate_profile". */
  readonly code?: string;
  /** Klaviyo's `source.pointer`, e.g. "/data/attributes/events-bulk-create/data/3". */
  readonly pointer?: string;
  readonly retryAfterMs?: number;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class KlaviyoFailure extends Error {
  readonly category: FailureCategory;
  readonly detail: string;
  readonly httpStatus: number | undefined;
  readonly code: string | undefined;
  readonly pointer: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly meta: Readonly<Record<string, unknown>> | undefined;

  constructor(details: KlaviyoFailureDetails) {
    super(`Klaviyo ${details.httpStatus ?? 'request'} ${details.category}: ${details.detail}`, { cause: details.cause });
    this.name = 'KlaviyoFailure';
    this.category = details.category;
    this.detail = details.detail;
    this.httpStatus = details.httpStatus;
    this.code = details.code;
    this.pointer = details.pointer;
    this.retryAfterMs = details.retryAfterMs;
    this.meta = details.meta;
  }

  get retryable(): boolean {
    return RETRYABLE[this.category];
  }
}

export function categoryOfStatus(status: number): FailureCategory {
  if (status === 401) return FailureCategory.AUTH;
  if (status === 403) return FailureCategory.SCOPE;
  if (status === 429) return FailureCategory.RATE_LIMIT;
  if (status === 408 || status >= 500) return FailureCategory.UPSTREAM;
  return FailureCategory.PAYLOAD; // 400, 404, 405, 409, 413, 415, 422: this request will never succeed as it is
}

interface KlaviyoErrorBody {
  errors?: Array<{ code?: string; title?: string; detail?: string; source?: { pointer?: string; parameter?: string }; meta?: Record<string, unknown> }>;
}

/** Turns a non-2xx answer into a failure carrying Klaviyo's code, detail, pointer and Retry-After. */
export function classifyResponse(status: number, headers: Headers, bodyText: string): KlaviyoFailure {
  let body: KlaviyoErrorBody = {};
  try {
    body = JSON.parse(bodyText) as KlaviyoErrorBody;
  } catch {
    // Proxies and outages answer HTML or nothing; the status still classifies it.
  }
  const first = body.errors?.[0];
  const category = categoryOfStatus(status);
  return new KlaviyoFailure({
    category,
    httpStatus: status,
    detail: first?.detail ?? first?.title ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`),
    code: first?.code,
    pointer: first?.source?.pointer,
    meta: first?.meta,
    retryAfterMs: category === FailureCategory.RATE_LIMIT || category === FailureCategory.UPSTREAM ? parseRetryAfter(headers.get('retry-after')) : undefined,
  });
}

/** Timeouts, resets and refusals: the request may or may not have arrived. */
export function classifyNetworkError(error: unknown): KlaviyoFailure {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const timedOut = (error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError';
  return new KlaviyoFailure({
    category: FailureCategory.NETWORK,
    detail: timedOut ? 'Klaviyo did not answer in time' : `Could not reach Klaviyo (${code ?? (error as Error)?.message ?? 'network error'})`,
    code: timedOut ? 'timeout' : code,
    cause: error,
  });
}

/** `Retry-After` in seconds (Klaviyo's form) or as an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function parseRateLimitHeaders(headers: Headers): RateLimitState | undefined {
  const limit = headers.get('ratelimit-limit');
  const remaining = headers.get('ratelimit-remaining');
  const reset = headers.get('ratelimit-reset');
  if (limit === null || remaining === null || reset === null) return undefined;
  const windows = [...limit.matchAll(/(\d+);w=(\d+)/g)].map((m) => ({ limit: Number(m[1]), windowSeconds: Number(m[2]) }));
  return { remaining: Number(remaining), resetSeconds: Number(reset), windows };
}
