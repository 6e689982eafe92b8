import type { RateLimitState } from '../datasources/klaviyo';

/** Klaviyo's per-endpoint limits (klaviyo.md §2), per connection (an OAuth install or a private key). */
export const KLAVIYO_ENDPOINT_LIMITS = {
  events: { burst: 350, steady: 3500 },
  bulkEvents: { burst: 10, steady: 150 },
  profileImport: { burst: 75, steady: 750 },
  profileDeletion: { burst: 3, steady: 60 },
} as const;

export type KlaviyoEndpoint = keyof typeof KLAVIYO_ENDPOINT_LIMITS;

/**
 * One connection's request budget: Klaviyo's burst (1 s) and steady (60 s)
 * windows per endpoint, kept as sliding windows (we cannot know where
 * Klaviyo's fixed windows start, so we stay inside every alignment),
 * tightened by what RateLimit-* headers report, and paused by a 429.
 */
export class RateBudget {
  private readonly sent = new Map<KlaviyoEndpoint, number[]>();
  private readonly exhaustedUntil = new Map<KlaviyoEndpoint, number>();
  private pausedUntil = 0;

  constructor(
    private readonly limits: Record<KlaviyoEndpoint, { burst: number; steady: number }> = KLAVIYO_ENDPOINT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before the next request to `endpoint` may go; 0 means now. */
  delayFor(endpoint: KlaviyoEndpoint): number {
    const now = this.now();
    const times = this.window(endpoint, now);
    const { burst, steady } = this.limits[endpoint];
    let readyAt = Math.max(this.pausedUntil, this.exhaustedUntil.get(endpoint) ?? 0);
    const lastSecond = times.filter((t) => t > now - 1000);
    if (lastSecond.length >= burst) readyAt = Math.max(readyAt, lastSecond[lastSecond.length - burst]! + 1000);
    if (times.length >= steady) readyAt = Math.max(readyAt, times[times.length - steady]! + 60_000);
    return Math.max(0, readyAt - now);
  }

  /** Records a request as sent now. */
  take(endpoint: KlaviyoEndpoint): void {
    this.window(endpoint, this.now()).push(this.now());
  }

  /** What Klaviyo's headers said after a response: with nothing remaining, wait for the reset. */
  observe(endpoint: KlaviyoEndpoint, state: RateLimitState | undefined): void {
    if (state && state.remaining <= 0) this.exhaustedUntil.set(endpoint, this.now() + state.resetSeconds * 1000);
  }

  /** A 429: nothing more for this connection until Retry-After has passed. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private window(endpoint: KlaviyoEndpoint, now: number): number[] {
    const times = (this.sent.get(endpoint) ?? []).filter((t) => t > now - 60_000);
    this.sent.set(endpoint, times);
    return times;
  }
}
