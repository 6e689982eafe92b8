/** Klaviyo's per-endpoint fixed windows (klaviyo.md §2): burst per second, steady per minute. */
export const KLAVIYO_RATE_LIMITS = {
  create_event: { burst: 350, steady: 3500 },
  bulk_create_events: { burst: 10, steady: 150 },
  create_or_update_profile: { burst: 75, steady: 750 },
  get_metrics: { burst: 10, steady: 150 },
  get_accounts: { burst: 1, steady: 15 },
  request_profile_deletion: { burst: 3, steady: 60 },
} as const;

export type RateLimitedOperation = keyof typeof KLAVIYO_RATE_LIMITS;

export type RateDecision =
  | { readonly allowed: true; readonly headers: Record<string, string> }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Fixed-window counters per quota owner (account x app for OAuth, account for
 * private keys) and operation, as Klaviyo applies them.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { burstWindow: number; burst: number; steadyWindow: number; steady: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  take(owner: string, operation: RateLimitedOperation): RateDecision {
    const { burst, steady } = KLAVIYO_RATE_LIMITS[operation];
    const now = this.now();
    const burstWindow = Math.floor(now / 1000);
    const steadyWindow = Math.floor(now / 60_000);
    const key = `${owner}|${operation}`;
    const state = this.windows.get(key) ?? { burstWindow, burst: 0, steadyWindow, steady: 0 };
    if (state.burstWindow !== burstWindow) Object.assign(state, { burstWindow, burst: 0 });
    if (state.steadyWindow !== steadyWindow) Object.assign(state, { steadyWindow, steady: 0 });
    this.windows.set(key, state);
    if (state.steady >= steady) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((steadyWindow + 1) * 60_000 - now) / 1000)) };
    if (state.burst >= burst) return { allowed: false, retryAfterSeconds: 1 };
    state.burst += 1;
    state.steady += 1;
    return {
      allowed: true,
      headers: {
        'RateLimit-Limit': `${burst}, ${burst};w=1, ${steady};w=60`,
        'RateLimit-Remaining': String(Math.min(burst - state.burst, steady - state.steady)),
        'RateLimit-Reset': String(Math.ceil(((burstWindow + 1) * 1000 - now) / 1000)),
      },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
