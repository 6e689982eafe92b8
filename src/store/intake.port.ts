import type { Environment } from './connections.port';

/**
 * The intake aggregates of the storage port: profiles and their identifiers
 * (the identity graph), signals, and the deliveries made at intake. A signal,
 * its identity changes and its deliveries are written in ONE transaction, and
 * concurrent signals are batched into one transaction per tick.
 */

export type IdentifierKind = 'ANONYMOUS_ID' | 'EMAIL' | 'PHONE' | 'EXTERNAL_ID' | 'KLAVIYO_EXCHANGE_ID';

export interface IdentifierRecord {
  readonly kind: IdentifierKind;
  readonly value: string;
}

export interface ProfileRecord {
  readonly id: string;
  readonly brand: string;
  readonly identifiers: readonly IdentifierRecord[];
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly mergedProfileIds: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type DeliveryStatus = 'QUEUED' | 'DELIVERING' | 'DELIVERED' | 'RETRYING' | 'HELD' | 'FAILED' | 'SHADOWED' | 'CANCELLED';

/** Deliveries that have not gone out and may still: what forgetProfile cancels. */
export const PENDING_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['QUEUED', 'RETRYING', 'HELD'];

export interface DeliveryQuery {
  readonly metricId?: string;
  readonly statuses?: readonly DeliveryStatus[];
  readonly environment?: Environment;
  readonly connectionId?: string;
  readonly failureCategory?: string;
  readonly profileId?: string;
  readonly since?: Date;
  readonly until?: Date;
}

/** Where a page starts: after this delivery, in (createdAt, id) order. */
export interface DeliveryCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface DeliveryPage {
  readonly deliveries: DeliveryRecord[];
  readonly hasNextPage: boolean;
  readonly totalCount: number;
}

export interface DeliveryStatsRow {
  readonly metricId: string;
  readonly environment: Environment;
  readonly byStatus: Readonly<Partial<Record<DeliveryStatus, number>>>;
  readonly failuresByCategory: Readonly<Record<string, number>>;
  readonly lastDeliveredAt: Date | null;
}

/** A Klaviyo profile deletion the delivery engine must send for forgetProfile. */
export interface DeletionRequestRecord {
  readonly id: string;
  readonly brand: string;
  readonly connectionId: string;
  readonly environment: Environment;
  /** The strong identifiers Klaviyo needs to find the profile (email, phone_number, external_id). */
  readonly identifiers: readonly IdentifierRecord[];
  readonly status: 'PENDING' | 'DELIVERING' | 'RETRYING' | 'SENT' | 'FAILED';
  readonly createdAt: Date;
}

export interface SignalRecord {
  readonly id: string;
  readonly brand: string;
  readonly metricId: string;
  readonly metricKey: string;
  readonly metricVersion: number;
  readonly profileId: string | null;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly value: number | null;
  readonly valueCurrency: string | null;
  readonly idempotencyKey: string;
}

export interface DeliveryFailureRecord {
  readonly category: string;
  readonly httpStatus: number | null;
  readonly code: string | null;
  readonly detail: string;
  readonly pointer: string | null;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly brand: string;
  readonly signalId: string;
  readonly connectionId: string;
  readonly environment: Environment;
  readonly metricId: string;
  readonly profileId: string | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastAttemptAt: Date | null;
  /** When the retry window started. */
  readonly firstAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly failure: DeliveryFailureRecord | null;
  /** The JSON:API event exactly as it is (or would be) sent; retries resend it. */
  readonly payload: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A signal as intake hands it to the store: validated, not yet tied to a profile. */
export type SignalDraft = Omit<SignalRecord, 'profileId'>;

export interface DeliveryDraft {
  readonly id: string;
  readonly connectionId: string;
  readonly environment: Environment;
  readonly status: 'QUEUED' | 'SHADOWED';
  readonly payload: Readonly<Record<string, unknown>>;
}

/** An owner of some incoming identifiers, as the identity rules need to see it. */
export interface ProfileOwner {
  readonly id: string;
  readonly createdAt: Date;
  readonly identifiers: readonly IdentifierRecord[];
}

export type IdentityPlan =
  | { readonly kind: 'create' | 'create-and-move'; readonly link: readonly IdentifierRecord[] }
  | { readonly kind: 'use'; readonly profileId: string; readonly merge: readonly string[]; readonly link: readonly IdentifierRecord[] };

/**
 * The decisions the store asks for inside its transaction, so they see the
 * graph exactly as it is written: which profile, and which deliveries.
 */
export interface IntakeRules {
  planIdentity(incoming: readonly IdentifierRecord[], owners: readonly ProfileOwner[]): IdentityPlan;
  /**
   * Called only for items with delivery targets. Throwing an `Error` here
   * rejects just this item (e.g. a payload Klaviyo would refuse).
   */
  deliveriesFor(signal: SignalRecord, profile: ProfileRecord, item: IntakeItem): DeliveryDraft[];
  /**
   * Where another thread can load these same rules: a module whose
   * `intakeRules()` export returns them. A store that writes on a thread of
   * its own needs it; rules without it are applied on the caller's thread.
   */
  readonly module?: string;
}

/**
 * Thrown by the rules to refuse one item for a reason its sender can fix
 * (e.g. a payload Klaviyo would refuse): only that item is left out, and it
 * comes back as a failed result carrying this error, across threads too.
 */
export class IntakeItemRefused extends Error {
  override readonly name = 'IntakeItemRefused';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where a signal may be delivered: a brand's connection and the metric's rollout for its environment. */
export interface DeliveryTarget {
  readonly connectionId: string;
  readonly environment: Environment;
  readonly mode: 'OFF' | 'SHADOW' | 'ON';
  readonly percentage: number;
}

export interface IntakeItem {
  readonly signal: SignalDraft;
  /** `signal.properties` as JSON, made once at intake (the size check needs it): stored as it is. */
  readonly propertiesJson: string;
  readonly identifiers: readonly IdentifierRecord[];
  /** A fresh id, used if the rules create a profile. */
  readonly newProfileId: string;
  /** The Klaviyo metric name the event is sent on. */
  readonly metricName: string;
  readonly deliveryTargets: readonly DeliveryTarget[];
}

export type IntakeResult =
  | { readonly ok: true; readonly signal: SignalRecord; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: Error };

export interface IdentifyItem {
  readonly brand: string;
  readonly identifiers: readonly IdentifierRecord[];
  readonly attributes: Readonly<Record<string, unknown>> | null;
  readonly newProfileId: string;
  readonly now: Date;
  /**
   * The profile imports to queue, given the profile as identify leaves it and
   * whether identify changed it (new identifiers or attributes). Written in
   * the same transaction.
   */
  readonly profileImports?: (profile: ProfileRecord, changed: boolean) => ReadonlyArray<{ readonly id: string; readonly connectionId: string; readonly environment: Environment; readonly payload: Readonly<Record<string, unknown>> }>;
}

export interface IntakeRepository {
  /** Records every item in one transaction; duplicates (brand + idempotency key) return the first signal. */
  recordSignals(items: readonly IntakeItem[], rules: IntakeRules): Promise<IntakeResult[]>;
  /** Links identifiers (resolving like a signal would) and merges attributes into the profile. */
  identify(item: IdentifyItem, rules: Pick<IntakeRules, 'planIdentity'>): Promise<ProfileRecord>;
  getSignal(brand: string, id: string): Promise<SignalRecord | null>;
  getSignals(brand: string, ids: readonly string[]): Promise<SignalRecord[]>;
  /** The profile, following merges: a merged-away id reads as the profile it became. */
  getProfile(brand: string, id: string): Promise<ProfileRecord | null>;
  getProfiles(brand: string, ids: readonly string[]): Promise<ProfileRecord[]>;
  /** The profile owning the first (strongest) of these identifiers that has one; never writes. */
  findProfileByIdentifiers(brand: string, identifiers: readonly IdentifierRecord[]): Promise<ProfileRecord | null>;
  deliveriesOfSignals(brand: string, signalIds: readonly string[]): Promise<DeliveryRecord[]>;
  /** A page of deliveries in (createdAt, id) order, and how many match in all. */
  listDeliveries(brand: string, query: DeliveryQuery, first: number, after: DeliveryCursor | null): Promise<DeliveryPage>;
  /** Deliveries created in [since, until), counted per metric and environment. */
  deliveryStats(brand: string, since: Date, until: Date): Promise<DeliveryStatsRow[]>;
  /**
   * Erases a profile: its identifiers, the profile (and those merged into it),
   * the `piiFields` of its signals and the identifiers in stored payloads;
   * cancels its pending deliveries and records one Klaviyo deletion request
   * per connection that exists. False when there is no such profile.
   */
  forgetProfile(brand: string, profileId: string, newRequestIds: () => string, now: Date): Promise<boolean>;
  deletionRequests(brand: string): Promise<DeletionRequestRecord[]>;
}
