import type { BulkEventsPayload, EventPayload } from '../datasources/klaviyo';
import { canonicalJson } from '../store';

/** Klaviyo's bulk limits: 1,000 events and 5 MB per request; we keep a margin under the bytes. */
export const BULK_LIMITS = { maxEvents: 1000, maxBytes: 5 * 1024 * 1024 - 64 * 1024 } as const;

export interface DueEvent {
  readonly deliveryId: string;
  /** The stored payload, exactly as built at intake. */
  readonly payload: EventPayload;
}

export type SendPlan =
  | { readonly kind: 'single'; readonly event: DueEvent }
  | { readonly kind: 'bulk'; readonly events: readonly DueEvent[]; readonly body: BulkEventsPayload };

interface EventAttributes {
  metric: { data: { attributes: { name: string } } };
  profile: { data: Record<string, unknown> };
  unique_id?: string;
  [key: string]: unknown;
}

/**
 * Groups due events into requests, in order: one bulk job per at most 1,000
 * events and 5 MB, events grouped under their profile as the bulk endpoint
 * wants. Klaviyo fails a whole bulk request holding the same unique_id twice
 * for one profile and metric, so a repeat waits for the next request. A lone
 * event goes to POST /api/events.
 */
export function planRequests(due: readonly DueEvent[], limits = BULK_LIMITS): SendPlan[] {
  if (due.length === 1) return [{ kind: 'single', event: due[0]! }];
  const plans: SendPlan[] = [];
  let pending = [...due];
  while (pending.length > 0) {
    const batch: DueEvent[] = [];
    const deferred: DueEvent[] = [];
    const seen = new Set<string>();
    let bytes = 200; // the envelope
    for (const event of pending) {
      const attributes = event.payload.data.attributes as EventAttributes;
      const key = `${canonicalJson(attributes.profile.data)}|${attributes.metric.data.attributes.name}|${attributes.unique_id ?? ''}`;
      const size = Buffer.byteLength(JSON.stringify(event.payload));
      if (batch.length >= limits.maxEvents || (batch.length > 0 && bytes + size > limits.maxBytes) || (attributes.unique_id !== undefined && seen.has(key))) {
        deferred.push(event);
        continue;
      }
      seen.add(key);
      batch.push(event);
      bytes += size;
    }
    plans.push(batch.length === 1 ? { kind: 'single', event: batch[0]! } : { kind: 'bulk', events: batch, body: bulkBody(batch) });
    pending = deferred;
  }
  return plans;
}

/** Events grouped under their profile, in order of first appearance: the bulk body's entries. */
function entriesOf(events: readonly DueEvent[]): Array<{ profile: Record<string, unknown>; events: DueEvent[] }> {
  const byProfile = new Map<string, { profile: Record<string, unknown>; events: DueEvent[] }>();
  for (const event of events) {
    const { profile } = event.payload.data.attributes as EventAttributes;
    const key = canonicalJson(profile.data);
    const entry = byProfile.get(key) ?? { profile: profile.data, events: [] };
    entry.events.push(event);
    byProfile.set(key, entry);
  }
  return [...byProfile.values()];
}

/** The bulk job body: one entry per profile, carrying that profile's events without their profile. */
export function bulkBody(events: readonly DueEvent[]): BulkEventsPayload {
  const data = entriesOf(events).map((entry) => ({
    type: 'event-bulk-create',
    attributes: {
      profile: { data: entry.profile },
      events: {
        data: entry.events.map((event) => {
          const { profile: _profile, ...rest } = event.payload.data.attributes as EventAttributes;
          return { type: 'event', attributes: rest };
        }),
      },
    },
  }));
  return { data: { type: 'event-bulk-create-job', attributes: { 'events-bulk-create': { data } } } };
}

/**
 * The events a bulk error's `source.pointer` names: one event
 * (".../data/{i}/attributes/events/data/{j}/...") or a whole profile entry
 * (".../data/{i}/attributes/profile..."). Empty when the pointer names none.
 */
export function eventsAtPointer(events: readonly DueEvent[], pointer: string | undefined): DueEvent[] {
  const match = /^\/data\/attributes\/events-bulk-create\/data\/(\d+)(?:\/attributes\/events\/data\/(\d+))?/.exec(pointer ?? '');
  if (!match) return [];
  const entry = entriesOf(events)[Number(match[1])];
  if (!entry) return [];
  if (match[2] === undefined) return entry.events;
  const event = entry.events[Number(match[2])];
  return event ? [event] : [];
}
