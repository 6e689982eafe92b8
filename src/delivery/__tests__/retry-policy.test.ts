import { FailureCategory, KlaviyoFailure } from '../../datasources/klaviyo';
import { backoffDelayMs, decideAfterAttempt, DEFAULT_RETRY_POLICY } from '../retry-policy';

const first = new Date('2026-12-04T12:00:00.000Z');
const at = (ms: number) => new Date(first.getTime() + ms);
const failure = (category: FailureCategory, extra: Partial<ConstructorParameters<typeof KlaviyoFailure>[0]> = {}) => new KlaviyoFailure({ category, detail: 'd', ...extra });

describe('decideAfterAttempt (the retry policy as data)', () => {
  it.each<[string, 'accepted' | KlaviyoFailure, { attempts: number; now: Date; random: number }, Record<string, unknown>]>([
    ['202', 'accepted', { attempts: 1, now: at(0), random: 0.5 }, { status: 'DELIVERED' }],
    ['401 after the refresh', failure(FailureCategory.AUTH, { httpStatus: 401 }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'HELD', connectionNeedsReauth: true, failure: { category: 'AUTH', httpStatus: 401 } }],
    ['invalid_grant', failure(FailureCategory.AUTH, { code: 'invalid_grant' }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'HELD', failure: { code: 'invalid_grant' } }],
    ['403', failure(FailureCategory.SCOPE, { httpStatus: 403 }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'HELD', failure: { category: 'SCOPE' } }],
    ['400 with a pointer', failure(FailureCategory.PAYLOAD, { httpStatus: 400, code: 'invalid', pointer: '/data/attributes/time' }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'FAILED', failure: { category: 'PAYLOAD', httpStatus: 400, code: 'invalid', pointer: '/data/attributes/time', detail: 'd' } }],
    ['409 duplicate_profile', failure(FailureCategory.PAYLOAD, { httpStatus: 409, code: 'duplicate_profile' }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'FAILED' }],
    ['429 with Retry-After 2', failure(FailureCategory.RATE_LIMIT, { httpStatus: 429, retryAfterMs: 2000 }), { attempts: 3, now: at(10_000), random: 0.99 }, { status: 'RETRYING', nextAttemptAt: at(12_000) }],
    ['503, first attempt', failure(FailureCategory.UPSTREAM, { httpStatus: 503 }), { attempts: 1, now: at(0), random: 0.5 }, { status: 'RETRYING', nextAttemptAt: at(500) }],
    ['a reset, fifth attempt', failure(FailureCategory.NETWORK), { attempts: 5, now: at(60_000), random: 0.5 }, { status: 'RETRYING', nextAttemptAt: at(60_000 + 8000) }],
    ['503 past the retry window', failure(FailureCategory.UPSTREAM, { httpStatus: 503 }), { attempts: 40, now: at(DEFAULT_RETRY_POLICY.retryWindowMs - 1000), random: 0.9 }, { status: 'FAILED', failure: { category: 'UPSTREAM' } }],
  ])('%s', (_case, outcome, context, expected) => {
    expect(decideAfterAttempt(outcome, { ...context, firstAttemptAt: first })).toMatchObject(expected);
  });

  it('backs off with full jitter, doubling up to the 5-minute cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 0.999999, DEFAULT_RETRY_POLICY))).toEqual([999, 1999, 3999, 7999]);
    expect(backoffDelayMs(30, 0.999999, DEFAULT_RETRY_POLICY)).toBe(299_999);
    expect(backoffDelayMs(30, 0, DEFAULT_RETRY_POLICY)).toBe(0);
  });
});
