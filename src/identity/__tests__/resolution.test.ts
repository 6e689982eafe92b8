import fc from 'fast-check';
import type { Identifier } from '../identifiers';
import { planResolution, type OwnedProfile } from '../resolution';

const email = (value: string): Identifier => ({ kind: 'EMAIL', value });
const anon = (value: string): Identifier => ({ kind: 'ANONYMOUS_ID', value });
const ext = (value: string): Identifier => ({ kind: 'EXTERNAL_ID', value });
const phone = (value: string): Identifier => ({ kind: 'PHONE', value });
const kx = (value: string): Identifier => ({ kind: 'KLAVIYO_EXCHANGE_ID', value });
const profile = (id: string, age: number, ...identifiers: Identifier[]): OwnedProfile => ({ id, createdAt: new Date(Date.UTC(2026, 0, 1) + age * 1000), identifiers });

describe('planResolution (rules as data)', () => {
  it.each<[string, Identifier[], OwnedProfile[], unknown]>([
    ['nothing known: a new profile', [anon('a1'), email('x@e.com')], [], { kind: 'create', link: [anon('a1'), email('x@e.com')] }],
    ['one profile: link what is new', [anon('a1'), email('x@e.com')], [profile('p1', 1, anon('a1'))], { kind: 'use', profileId: 'p1', merge: [], link: [email('x@e.com')] }],
    ['already linked: nothing to do', [anon('a1')], [profile('p1', 1, anon('a1'), email('x@e.com'))], { kind: 'use', profileId: 'p1', merge: [], link: [] }],
    [
      'two profiles, no conflict: merge into the oldest',
      [anon('a1'), email('x@e.com')],
      [profile('p2', 2, email('x@e.com')), profile('p1', 1, anon('a1'))],
      { kind: 'use', profileId: 'p1', merge: ['p2'], link: [] },
    ],
    [
      'different emails: the email wins, the browser moves',
      [anon('a1'), email('y@e.com')],
      [profile('p1', 1, anon('a1'), email('x@e.com')), profile('p2', 2, email('y@e.com'))],
      { kind: 'use', profileId: 'p2', merge: [], link: [anon('a1')] },
    ],
    [
      'a new email on a known browser of someone else: a new profile takes the browser',
      [anon('a1'), kx('k1'), email('y@e.com')],
      [profile('p1', 1, anon('a1'), kx('k1'), email('x@e.com'))],
      { kind: 'create-and-move', link: [email('y@e.com'), anon('a1'), kx('k1')] },
    ],
    [
      'external id beats email',
      [ext('c2'), email('x@e.com'), anon('a9')],
      [profile('p1', 1, ext('c1'), email('x@e.com')), profile('p2', 2, ext('c2'))],
      { kind: 'use', profileId: 'p2', merge: [], link: [anon('a9')] },
    ],
    [
      'a new phone joins the winner only if it has no phone',
      [email('y@e.com'), phone('+14155552671'), anon('a1')],
      [profile('p1', 1, anon('a1'), email('x@e.com')), profile('p2', 2, email('y@e.com'), phone('+14155550000'))],
      { kind: 'use', profileId: 'p2', merge: [], link: [anon('a1')] },
    ],
    [
      'only weak identifiers of two different people: stay with the oldest',
      [anon('a1'), kx('k1')],
      [profile('p1', 1, anon('a1'), email('x@e.com')), profile('p2', 2, kx('k1'), email('y@e.com'))],
      { kind: 'use', profileId: 'p1', merge: [], link: [] },
    ],
  ])('%s', (_case, incoming, owners, expected) => {
    expect(planResolution(incoming, owners)).toEqual(expected);
  });
});

/**
 * A tiny in-memory identity graph that applies plans, to check the rules'
 * invariants over many random signal sequences.
 */
function applyAll(signals: Identifier[][]): Map<string, string> {
  const owner = new Map<string, string>();
  const created = new Map<string, number>();
  let next = 0;
  for (const signal of signals) {
    const ids = [...new Set([...owner.entries()].filter(([key]) => signal.some((i) => `${i.kind}:${i.value}` === key)).map(([, p]) => p))];
    const owners: OwnedProfile[] = ids.map((id) => ({ id, createdAt: new Date(created.get(id)!), identifiers: [...owner.entries()].filter(([, p]) => p === id).map(([key]) => ({ kind: key.split(':')[0] as Identifier['kind'], value: key.slice(key.indexOf(':') + 1) })) }));
    const plan = planResolution(signal, owners);
    let target: string;
    if (plan.kind === 'use') {
      target = plan.profileId;
      for (const merged of plan.merge) for (const [key, p] of owner) if (p === merged) owner.set(key, target);
    } else {
      target = `p${next}`;
      created.set(target, next);
      next += 1;
    }
    for (const identifier of plan.link) owner.set(`${identifier.kind}:${identifier.value}`, target);
  }
  return owner;
}

/** Identifiers grouped by profile, as a canonical string (profile ids themselves do not matter). */
function grouping(owner: Map<string, string>): string {
  const groups = new Map<string, string[]>();
  for (const [key, profileId] of owner) groups.set(profileId, [...(groups.get(profileId) ?? []), key]);
  return JSON.stringify([...groups.values()].map((g) => g.sort()).sort());
}

describe('identity resolution invariants (property tests)', () => {
  // People with one email, maybe an external id, and a few browsers; signals carry some of one person's identifiers.
  const people = fc.array(fc.record({ email: fc.boolean(), external: fc.boolean(), browsers: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 5 });
  const scenario = people.chain((persons) =>
    fc
      .array(
        fc.integer({ min: 0, max: persons.length - 1 }).chain((p) =>
          fc.subarray(
            [
              ...(persons[p]!.email ? [email(`person${p}@e.com`)] : []),
              ...(persons[p]!.external ? [ext(`cust${p}`)] : []),
              ...Array.from({ length: persons[p]!.browsers }, (_, b) => anon(`p${p}-b${b}`)),
            ],
            { minLength: 1 },
          ),
        ),
        { minLength: 1, maxLength: 25 },
      )
      .map((signals) => ({ persons, signals })),
  );

  it('links every identifier to exactly one profile, and never merges two people', () => {
    fc.assert(
      fc.property(scenario, ({ signals }) => {
        const owner = applyAll(signals);
        const seen = new Set(signals.flat().map((i) => `${i.kind}:${i.value}`));
        expect([...owner.keys()].sort()).toEqual([...seen].sort());
        // A profile never holds identifiers of two people.
        // Every generated value carries its person's number first: person3@e.com, cust3, p3-b1.
        const personOf = (key: string) => /\d+/.exec(key.slice(key.indexOf(':') + 1))?.[0];
        const byProfile = new Map<string, Set<string | undefined>>();
        for (const [key, p] of owner) byProfile.set(p, (byProfile.get(p) ?? new Set()).add(personOf(key)));
        for (const owners of byProfile.values()) expect(owners.size).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('groups the same signals the same way, whatever their order', () => {
    fc.assert(
      fc.property(scenario.chain(({ signals }) => fc.shuffledSubarray(signals, { minLength: signals.length, maxLength: signals.length }).map((shuffled) => ({ signals, shuffled }))), ({ signals, shuffled }) => {
        expect(grouping(applyAll(shuffled))).toBe(grouping(applyAll(signals)));
      }),
      { numRuns: 300 },
    );
  });
});
