import { RateBudget } from '../rate-budget';

describe('RateBudget', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('lets 10 bulk requests through in a second, then waits for the burst window', () => {
    const budget = new RateBudget(undefined, clock);
    for (let i = 0; i < 10; i += 1) {
      expect(budget.delayFor('bulkEvents')).toBe(0);
      budget.take('bulkEvents');
      now += 10;
    }
    expect(budget.delayFor('bulkEvents')).toBe(1000 - 100);
    now += 900;
    expect(budget.delayFor('bulkEvents')).toBe(0);
  });

  it('keeps to 150 bulk requests a minute however they are spread', () => {
    const budget = new RateBudget(undefined, clock);
    for (let i = 0; i < 150; i += 1) {
      now += 200; // 5 a second: inside the burst limit
      expect(budget.delayFor('bulkEvents')).toBe(0);
      budget.take('bulkEvents');
    }
    now += 200;
    // The first of the 150 went 30.2 s ago; the next may go when it leaves the minute.
    expect(budget.delayFor('bulkEvents')).toBe(60_000 - 30_000);
    expect(budget.delayFor('events')).toBe(0); // endpoints have their own budgets
  });

  it('waits for the reset when Klaviyo says nothing remains, and pauses everything on a 429', () => {
    const budget = new RateBudget(undefined, clock);
    budget.observe('events', { remaining: 0, resetSeconds: 3, windows: [] });
    expect(budget.delayFor('events')).toBe(3000);
    expect(budget.delayFor('bulkEvents')).toBe(0);
    budget.pause(2000);
    expect(budget.delayFor('bulkEvents')).toBe(2000);
    now += 2500;
    expect(budget.delayFor('bulkEvents')).toBe(0);
    expect(budget.delayFor('events')).toBe(500);
  });
});
