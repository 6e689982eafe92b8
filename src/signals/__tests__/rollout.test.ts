import { rolloutBucket, rolloutDecision } from '../rollout';

describe('rollout decisions', () => {
  it.each([
    [{ mode: 'OFF' as const, percentage: 100 }, null],
    [{ mode: 'SHADOW' as const, percentage: 0 }, 'SHADOWED'],
    [{ mode: 'ON' as const, percentage: 100 }, 'QUEUED'],
    [{ mode: 'ON' as const, percentage: 0 }, null],
  ])('%j -> %s', (rollout, expected) => {
    expect(rolloutDecision(rollout, 'profile-1', 'cart_abandonment')).toBe(expected);
  });

  it('puts about half of 1,000 profiles inside 50%, the same half every time', () => {
    const profiles = Array.from({ length: 1000 }, (_, i) => `profile-${i}`);
    const inside = profiles.filter((p) => rolloutDecision({ mode: 'ON', percentage: 50 }, p, 'cart_abandonment') === 'QUEUED');
    expect(inside.length).toBeGreaterThan(450);
    expect(inside.length).toBeLessThan(550);
    expect(profiles.filter((p) => rolloutDecision({ mode: 'ON', percentage: 50 }, p, 'cart_abandonment') === 'QUEUED')).toEqual(inside);
    // Growing the percentage only adds profiles.
    const wider = profiles.filter((p) => rolloutDecision({ mode: 'ON', percentage: 60 }, p, 'cart_abandonment') === 'QUEUED');
    expect(inside.every((p) => wider.includes(p))).toBe(true);
  });

  it('spreads one profile differently across metrics', () => {
    const buckets = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((metric) => rolloutBucket('profile-1', metric)));
    expect(buckets.size).toBeGreaterThan(1);
  });
});
