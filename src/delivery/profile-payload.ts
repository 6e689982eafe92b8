import type { ProfileImportPayload } from '../datasources/klaviyo';
import type { ProfileRecord } from '../store';

/** Profile attributes Klaviyo has fields for; anything else goes under `properties`. */
const KLAVIYO_PROFILE_FIELDS = new Set(['first_name', 'last_name', 'organization', 'locale', 'title', 'image', 'location']);

/**
 * The body of POST /api/profile-import for a profile as identify leaves it:
 * its strong identifiers (one of each kind), `_kx`, and its attributes. No
 * `anonymous_id`: the profile-import endpoint dropped it in revision 2025-10-15.
 */
export function buildProfileImportPayload(profile: Pick<ProfileRecord, 'identifiers' | 'attributes'>): ProfileImportPayload {
  const attributes: Record<string, unknown> = {};
  const first = (kind: string) => profile.identifiers.find((i) => i.kind === kind)?.value;
  if (first('EMAIL')) attributes.email = first('EMAIL');
  if (first('PHONE')) attributes.phone_number = first('PHONE');
  if (first('EXTERNAL_ID')) attributes.external_id = first('EXTERNAL_ID');
  if (first('KLAVIYO_EXCHANGE_ID')) attributes._kx = first('KLAVIYO_EXCHANGE_ID');
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profile.attributes)) {
    if (KLAVIYO_PROFILE_FIELDS.has(key)) attributes[key] = value;
    else properties[key] = value;
  }
  if (Object.keys(properties).length > 0) attributes.properties = properties;
  return { data: { type: 'profile', attributes } };
}

/** Whether Klaviyo could find a person by this payload (it needs an email, phone, external id or _kx). */
export function identifiesSomeone(payload: ProfileImportPayload): boolean {
  const { attributes } = payload.data;
  return ['email', 'phone_number', 'external_id', '_kx'].some((key) => typeof attributes[key] === 'string');
}
