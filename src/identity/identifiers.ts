import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Identifiers of a shopper and how they are normalized, as pure functions:
 * the same person typed twice must become the same identifier.
 */

export type IdentifierKind = 'ANONYMOUS_ID' | 'EMAIL' | 'PHONE' | 'EXTERNAL_ID' | 'KLAVIYO_EXCHANGE_ID';

export interface Identifier {
  readonly kind: IdentifierKind;
  readonly value: string;
}

/** Strong identifiers name a person; the others name a browser or device. Strongest first. */
export const STRONG_KINDS: readonly IdentifierKind[] = ['EXTERNAL_ID', 'EMAIL', 'PHONE'];
export const isStrong = (kind: IdentifierKind) => STRONG_KINDS.includes(kind);
export const strength = (kind: IdentifierKind) => (isStrong(kind) ? STRONG_KINDS.length - STRONG_KINDS.indexOf(kind) : 0);

/** The GraphQL `IdentityInput`. */
export interface IdentityInput {
  readonly anonymousId?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly externalId?: string | null;
  readonly klaviyoExchangeId?: string | null;
}

export interface IdentityProblem {
  /** The input field, e.g. "email". */
  readonly field: keyof IdentityInput | '';
  readonly message: string;
}

const MAX_ID_LENGTH = 255;
// Deliberately plain: one @, a dot in the domain, no spaces. Deliverability is Klaviyo's call.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function normalizeEmail(raw: string): string | IdentityProblem {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) return { field: 'email', message: `"${raw}" is not an email address` };
  return email;
}

/** Any common format to E.164; national numbers are read in `defaultRegion`. */
export function normalizePhone(raw: string, defaultRegion: CountryCode): string | IdentityProblem {
  const phone = parsePhoneNumberFromString(raw.trim(), defaultRegion);
  if (!phone || !phone.isValid()) return { field: 'phone', message: `"${raw}" is not a valid phone number (national numbers are read as ${defaultRegion})` };
  return phone.number;
}

function normalizeOpaque(raw: string, field: keyof IdentityInput): string | IdentityProblem {
  const value = raw.trim();
  if (value.length === 0) return { field, message: 'must not be empty' };
  if (value.length > MAX_ID_LENGTH) return { field, message: `must be at most ${MAX_ID_LENGTH} characters` };
  return value;
}

/**
 * The identity input as normalized identifiers, or the first problem. At
 * least one identifier is required. `_kx` is kept exactly as Klaviyo set it.
 */
export function normalizeIdentity(input: IdentityInput, defaultRegion: CountryCode): Identifier[] | IdentityProblem {
  const identifiers: Identifier[] = [];
  const steps: Array<[keyof IdentityInput, IdentifierKind, (raw: string) => string | IdentityProblem]> = [
    ['externalId', 'EXTERNAL_ID', (raw) => normalizeOpaque(raw, 'externalId')],
    ['email', 'EMAIL', normalizeEmail],
    ['phone', 'PHONE', (raw) => normalizePhone(raw, defaultRegion)],
    ['anonymousId', 'ANONYMOUS_ID', (raw) => normalizeOpaque(raw, 'anonymousId')],
    ['klaviyoExchangeId', 'KLAVIYO_EXCHANGE_ID', (raw) => (raw.length > 0 && raw.length <= 1024 ? raw : { field: 'klaviyoExchangeId', message: 'must be 1 to 1024 characters' })],
  ];
  for (const [field, kind, normalize] of steps) {
    const raw = input[field];
    if (raw === undefined || raw === null) continue;
    const value = normalize(raw);
    if (typeof value !== 'string') return value;
    identifiers.push({ kind, value });
  }
  if (identifiers.length === 0) return { field: '', message: 'Give at least one identifier: anonymousId, email, phone, externalId or klaviyoExchangeId' };
  return identifiers;
}

export const identifierKey = ({ kind, value }: Identifier) => `${kind}:${value}`;
