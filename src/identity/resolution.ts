import { identifierKey, isStrong, strength, type Identifier } from './identifiers';

/**
 * Identity resolution as a pure decision. Given a signal's identifiers and
 * the profiles that already own some of them, it says which profile the
 * signal belongs to and how the graph changes. The rules:
 *
 * 1. Each identifier belongs to at most one profile of a brand.
 * 2. Identifiers that point to several profiles prove they are one person:
 *    those profiles merge into the oldest, unless the result would hold two
 *    different values of one strong kind (external id, email, phone).
 * 3. In that conflict the profile of the strongest incoming identifier wins;
 *    the weak identifiers (anonymous id, _kx) move to it, and strong ones
 *    stay where they are. A shared browser follows its latest person.
 */

export interface OwnedProfile {
  readonly id: string;
  readonly createdAt: Date;
  /** Every identifier the profile holds now. */
  readonly identifiers: readonly Identifier[];
}

export type ResolutionPlan =
  | {
      /** A new profile holding every incoming identifier. */
      readonly kind: 'create';
      readonly link: readonly Identifier[];
    }
  | {
      readonly kind: 'use';
      readonly profileId: string;
      /** Profiles to fold into `profileId` (identifiers and all), oldest first. */
      readonly merge: readonly string[];
      /** Incoming identifiers to point at `profileId` (new ones, or weak ones moving over). */
      readonly link: readonly Identifier[];
    }
  | {
      /** A conflict whose winning identifier has no profile yet: create one, and move the weak identifiers to it. */
      readonly kind: 'create-and-move';
      readonly link: readonly Identifier[];
    };

const byAge = (a: OwnedProfile, b: OwnedProfile) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);

/** True when these identifiers hold two different values of one strong kind. */
function conflicting(identifiers: Iterable<Identifier>): boolean {
  const seen = new Map<string, string>();
  for (const { kind, value } of identifiers) {
    if (!isStrong(kind)) continue;
    const other = seen.get(kind);
    if (other !== undefined && other !== value) return true;
    seen.set(kind, value);
  }
  return false;
}

export function planResolution(incoming: readonly Identifier[], owners: readonly OwnedProfile[]): ResolutionPlan {
  const ownerOf = new Map<string, OwnedProfile>();
  for (const profile of owners) for (const identifier of profile.identifiers) ownerOf.set(identifierKey(identifier), profile);
  const involved = [...new Map(incoming.map((i) => ownerOf.get(identifierKey(i))).filter((p): p is OwnedProfile => p !== undefined).map((p) => [p.id, p])).values()].sort(byAge);
  const unowned = incoming.filter((i) => !ownerOf.has(identifierKey(i)));

  if (involved.length === 0) return { kind: 'create', link: incoming };

  const everything = [...involved.flatMap((p) => p.identifiers), ...incoming];
  if (!conflicting(everything)) {
    const [oldest, ...rest] = involved;
    return { kind: 'use', profileId: oldest!.id, merge: rest.map((p) => p.id), link: unowned };
  }

  // Conflict: the strongest incoming identifier decides who this is.
  const strongest = incoming.filter((i) => isStrong(i.kind)).sort((a, b) => strength(b.kind) - strength(a.kind))[0];
  const weak = incoming.filter((i) => !isStrong(i.kind));
  if (!strongest) {
    // Only weak identifiers, held by people who cannot be one: stay with the oldest, move nothing.
    return { kind: 'use', profileId: involved[0]!.id, merge: [], link: unowned };
  }
  const winner = ownerOf.get(identifierKey(strongest));
  if (!winner) {
    // A person we have not seen: a new profile with their new strong identifiers and this browser's weak ones.
    return { kind: 'create-and-move', link: [...unowned.filter((i) => isStrong(i.kind)), ...weak] };
  }
  // New strong identifiers join the winner only where it holds no other value of that kind.
  const strongToLink = unowned.filter((i) => isStrong(i.kind) && !winner.identifiers.some((w) => w.kind === i.kind && w.value !== i.value));
  const weakToLink = weak.filter((i) => ownerOf.get(identifierKey(i))?.id !== winner.id);
  return { kind: 'use', profileId: winner.id, merge: [], link: [...strongToLink, ...weakToLink] };
}
