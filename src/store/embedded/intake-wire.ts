import { IntakeItemRefused, type DeliveryTarget, type IdentifierKind, type IdentifierRecord, type IntakeItem, type IntakeResult, type SignalRecord } from '../intake.port';

/**
 * How intake batches cross to the writer thread and back. postMessage copies
 * with the structured clone algorithm, whose cost grows with every object and
 * property name: a 500-signal batch as objects costs ~10 µs a signal, as flat
 * tuples of primitives ~2 µs. So items travel as tuples, their properties as
 * the JSON the store writes anyway, and a fresh signal's result is only the
 * profile it landed on (the caller holds the rest).
 */
export type WireItem = readonly [
  id: string,
  brand: string,
  metricId: string,
  metricKey: string,
  metricVersion: number,
  occurredAtMs: number,
  receivedAtMs: number,
  propertiesJson: string,
  value: number | null,
  valueCurrency: string | null,
  idempotencyKey: string,
  newProfileId: string,
  metricName: string,
  /** kind, value, kind, value, ... */
  identifiers: readonly string[],
  deliveryTargets: readonly DeliveryTarget[],
];

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** Set for an IntakeItemRefused. */
  readonly field?: string;
}

/**
 * A signal as stored, with plain values only: dates as epoch ms (a Date made
 * by another thread is not an `instanceof Date` in every realm, e.g. jest's).
 */
export type WireSignal = Omit<SignalRecord, 'occurredAt' | 'receivedAt' | 'properties'> & { readonly occurredAtMs: number; readonly receivedAtMs: number; readonly propertiesJson: string };

/** A fresh signal's profile id (string or null), the first signal of a duplicate, or why the item failed. */
export type WireResult = string | null | { readonly duplicate: WireSignal } | { readonly error: WireError };

/** The properties of a decoded item are read only to build delivery payloads; other items never parse them. */
const NOT_DECODED: Record<string, unknown> = Object.freeze({});

export function encodeItem(item: IntakeItem): WireItem {
  const s = item.signal;
  const identifiers: string[] = [];
  for (const { kind, value } of item.identifiers) identifiers.push(kind, value);
  return [s.id, s.brand, s.metricId, s.metricKey, s.metricVersion, s.occurredAt.getTime(), s.receivedAt.getTime(), item.propertiesJson, s.value, s.valueCurrency, s.idempotencyKey, item.newProfileId, item.metricName, identifiers, item.deliveryTargets];
}

export function decodeItem(wire: WireItem): IntakeItem {
  const [id, brand, metricId, metricKey, metricVersion, occurredAtMs, receivedAtMs, propertiesJson, value, valueCurrency, idempotencyKey, newProfileId, metricName, flat, deliveryTargets] = wire;
  const identifiers: IdentifierRecord[] = [];
  for (let i = 0; i < flat.length; i += 2) identifiers.push({ kind: flat[i] as IdentifierKind, value: flat[i + 1]! });
  const properties = deliveryTargets.length > 0 ? (JSON.parse(propertiesJson) as Record<string, unknown>) : NOT_DECODED;
  return {
    signal: { id, brand, metricId, metricKey, metricVersion, occurredAt: new Date(occurredAtMs), receivedAt: new Date(receivedAtMs), properties, value, valueCurrency, idempotencyKey },
    propertiesJson,
    identifiers,
    newProfileId,
    metricName,
    deliveryTargets,
  };
}

export function encodeResult(result: IntakeResult): WireResult {
  if (!result.ok) return { error: toWireError(result.error) };
  if (!result.duplicate) return result.signal.profileId;
  const { occurredAt, receivedAt, properties, ...rest } = result.signal;
  return { duplicate: { ...rest, occurredAtMs: occurredAt.getTime(), receivedAtMs: receivedAt.getTime(), propertiesJson: JSON.stringify(properties) } };
}

/** The result of `item` (the caller's own) from its wire form. */
export function decodeResult(wire: WireResult, item: IntakeItem): IntakeResult {
  if (wire === null || typeof wire === 'string') return { ok: true, duplicate: false, signal: { ...item.signal, profileId: wire } };
  if ('duplicate' in wire) {
    const { occurredAtMs, receivedAtMs, propertiesJson, ...rest } = wire.duplicate;
    return { ok: true, duplicate: true, signal: { ...rest, occurredAt: new Date(occurredAtMs), receivedAt: new Date(receivedAtMs), properties: JSON.parse(propertiesJson) as Record<string, unknown> } };
  }
  return { ok: false, error: fromWireError(wire.error) };
}

export const toWireError = (error: unknown): WireError => {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, stack: e.stack, ...(e instanceof IntakeItemRefused ? { field: e.field } : {}) };
};

export const fromWireError = (wire: WireError): Error => {
  const error = wire.field !== undefined ? new IntakeItemRefused(wire.field, wire.message) : Object.assign(new Error(wire.message), { name: wire.name });
  if (wire.stack) error.stack = wire.stack;
  return error;
};
