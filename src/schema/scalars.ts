import { DateTimeResolver } from 'graphql-scalars';

/** `DateTime`: ISO-8601 with timezone, serialized from Date as e.g. 2026-12-04T13:00:00.000Z. */
export const DateTimeScalar = DateTimeResolver;

/** `JSONObject`: any JSON object (metric schemas, signal properties, profile attributes). */
export { JSONObjectResolver as JSONObjectScalar, JSONResolver as JSONScalar } from 'graphql-scalars';
