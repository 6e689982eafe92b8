import { randomBytes, randomUUID } from 'node:crypto';

/** The fake's Klaviyo accounts and what was sent to them: profiles, events, metrics, deletion jobs. */

export interface FakeAccount {
  readonly id: string;
  readonly organizationName: string;
  readonly testAccount: boolean;
  /** Private API keys (`pk_...`) that authenticate as this account, with their scopes. */
  readonly apiKeys: Map<string, readonly string[]>;
}

export interface FakeProfile {
  readonly id: string;
  attributes: Record<string, unknown>;
}

export interface FakeEvent {
  readonly accountId: string;
  readonly metricName: string;
  readonly profileId: string;
  readonly uniqueId: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly via: 'events' | 'bulk';
}

export interface ApiError {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly pointer?: string;
  readonly meta?: Record<string, unknown>;
}

const IDENTIFIERS = ['email', 'phone_number', 'external_id', 'anonymous_id', '_kx'] as const;

export class AccountData {
  readonly profiles = new Map<string, FakeProfile>();
  readonly events: FakeEvent[] = [];
  /** Events Klaviyo dropped as duplicates of (profile, metric, unique_id): still answered 202. */
  readonly deduplicated: FakeEvent[] = [];
  readonly metrics = new Map<string, { id: string; name: string; created: string; integration: Record<string, unknown> }>();
  readonly deletionJobs: Array<Record<string, unknown>> = [];
  private readonly seenUniqueIds = new Set<string>();

  constructor(readonly account: FakeAccount) {}

  /** Finds the profile the identifiers name, creating one when none does; 409 when they name two. */
  upsertProfile(attributes: Record<string, unknown>, id?: string): { profile: FakeProfile; created: boolean } | ApiError {
    const owners = new Set<string>();
    if (id) {
      if (!this.profiles.has(id)) return { status: 404, code: 'not_found', title: 'Not found.', detail: `Profile ${id} does not exist.`, pointer: '/data/id' };
      owners.add(id);
    }
    for (const key of IDENTIFIERS) {
      const value = attributes[key];
      if (typeof value !== 'string') continue;
      for (const profile of this.profiles.values()) if (profile.attributes[key] === value) owners.add(profile.id);
    }
    if (owners.size > 1) {
      const [, duplicate] = [...owners];
      return {
        status: 409,
        code: 'duplicate_profile',
        title: 'Conflict.',
        detail: 'A profile already exists with one of these identifiers.',
        pointer: '/data/attributes',
        meta: { duplicate_profile_id: duplicate },
      };
    }
    const [ownerId] = [...owners];
    const existing = ownerId ? this.profiles.get(ownerId) : undefined;
    if (existing) {
      for (const [key, value] of Object.entries(attributes)) {
        if (value === null) delete existing.attributes[key];
        else existing.attributes[key] = value;
      }
      return { profile: existing, created: false };
    }
    const profile: FakeProfile = { id: `01${randomBytes(12).toString('hex').toUpperCase()}`, attributes: Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null)) };
    this.profiles.set(profile.id, profile);
    return { profile, created: true };
  }

  recordEvent(event: Omit<FakeEvent, 'accountId'>, integration: Record<string, unknown>): void {
    const full = { ...event, accountId: this.account.id };
    if (!this.metrics.has(event.metricName)) {
      this.metrics.set(event.metricName, { id: randomBytes(3).toString('hex').toUpperCase(), name: event.metricName, created: new Date().toISOString(), integration });
    }
    const dedupeKey = event.uniqueId === undefined ? undefined : `${event.profileId}|${event.metricName}|${event.uniqueId}`;
    if (dedupeKey && this.seenUniqueIds.has(dedupeKey)) {
      this.deduplicated.push(full);
      return;
    }
    if (dedupeKey) this.seenUniqueIds.add(dedupeKey);
    this.events.push(full);
  }

  recordDeletionJob(attributes: Record<string, unknown>): string {
    const id = randomUUID();
    this.deletionJobs.push({ id, ...attributes });
    return id;
  }
}

/** Limits Klaviyo enforces on events beyond the OpenAPI schema (klaviyo.md §3). */
export function checkEventLimits(attributes: Record<string, unknown>, pointer: string, now = Date.now()): ApiError | undefined {
  const invalid = (detail: string, at: string): ApiError => ({ status: 400, code: 'invalid', title: 'Invalid input.', detail, pointer: `${pointer}${at}` });
  const properties = (attributes.properties ?? {}) as Record<string, unknown>;
  if (Object.keys(properties).length > 400) return invalid('An event may have at most 400 properties.', '/properties');
  const tooLong = findLongString(properties, '/properties');
  if (tooLong) return invalid('Strings may be at most 100 KB.', tooLong);
  const metricName = ((attributes.metric as { data?: { attributes?: { name?: unknown } } })?.data?.attributes?.name ?? '') as string;
  if (metricName.length >= 128) return invalid('Metric names must be shorter than 128 characters.', '/metric/data/attributes/name');
  if (typeof attributes.time === 'string') {
    const time = Date.parse(attributes.time);
    if (time < Date.UTC(1990, 0, 1) || time > now + 366 * 24 * 3600 * 1000) return invalid('The time must be after 1990 and at most one year ahead.', '/time');
  }
  const profile = (attributes.profile as { data?: { id?: unknown; attributes?: Record<string, unknown> } })?.data;
  const hasIdentifier = typeof profile?.id === 'string' || IDENTIFIERS.some((key) => typeof profile?.attributes?.[key] === 'string');
  if (!hasIdentifier) return invalid('The profile needs at least one identifier.', '/profile/data/attributes');
  return undefined;
}

function findLongString(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return Buffer.byteLength(value) > 100 * 1024 ? path : undefined;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findLongString(child, `${path}/${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

export function profileIdentifiers(attributes: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(IDENTIFIERS.filter((key) => typeof attributes?.[key] === 'string').map((key) => [key, attributes![key]]));
}
