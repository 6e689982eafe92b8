import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Metric data contracts: JSON Schema (draft 2020-12) that a signal's
 * `properties` must satisfy, compiled once per metric version with ajv in
 * strict mode, so a typo in a schema is an error at `defineMetric`, not a
 * silently ignored keyword.
 */

export interface SchemaProblem {
  /** Where in the schema (a JSON pointer), for `defineMetric` errors. */
  readonly at: string;
  readonly message: string;
}

export interface PropertyViolation {
  /** Dotted path inside `properties`, e.g. "items.0.price" ("" for the object itself). */
  readonly path: string;
  readonly message: string;
}

const JSON_SCHEMA_2020 = 'https://json-schema.org/draft/2020-12/schema';

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: false, allowUnionTypes: true, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/** A compiled contract: validates properties, reports the first failing path. */
export class PropertiesContract {
  private constructor(private readonly validateFn: ValidateFunction) {}

  /** Checks and compiles a schema; returns the problems instead when it is not a usable contract. */
  static compile(schema: Record<string, unknown>): PropertiesContract | SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    if (schema.$schema !== undefined && schema.$schema !== JSON_SCHEMA_2020) problems.push({ at: '/$schema', message: `must be ${JSON_SCHEMA_2020} (draft 2020-12) or left out` });
    if (schema.type !== 'object') problems.push({ at: '/type', message: 'must be "object": signal properties are a JSON object' });
    if (problems.length > 0) return problems;
    try {
      // A fresh ajv per schema: contracts of different brands never share `$id`s or state.
      return new PropertiesContract(newAjv().compile(schema));
    } catch (error) {
      return [{ at: '', message: (error as Error).message.replace(/^strict mode: /, '') }];
    }
  }

  validate(properties: unknown): PropertyViolation | undefined {
    if (this.validateFn(properties)) return undefined;
    const [error] = this.validateFn.errors ?? [];
    return error ? describe(error) : { path: '', message: 'does not match the metric schema' };
  }
}

function describe(error: ErrorObject): PropertyViolation {
  const base = error.instancePath.split('/').slice(1).map(unescapePointer);
  if (error.keyword === 'required') base.push(String((error.params as { missingProperty: string }).missingProperty));
  if (error.keyword === 'additionalProperties') base.push(String((error.params as { additionalProperty: string }).additionalProperty));
  const message =
    error.keyword === 'required' ? 'is required by the metric schema' : error.keyword === 'additionalProperties' ? 'is not allowed by the metric schema' : (error.message ?? 'is invalid');
  return { path: base.join('.'), message };
}

const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Checks that each PII pointer (RFC 6901, into the properties) names a place
 * the schema describes: object segments through `properties`, array segments
 * (an index, or `*` for every item) through `items`.
 */
export function checkPiiPointers(schema: Record<string, unknown>, pointers: readonly string[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  pointers.forEach((pointer, index) => {
    const at = `/${index}`;
    if (!pointer.startsWith('/') || pointer === '/') {
      problems.push({ at, message: `"${pointer}" is not a JSON pointer into the properties (e.g. "/email" or "/shipping/phone")` });
      return;
    }
    let node: unknown = schema;
    for (const raw of pointer.split('/').slice(1)) {
      const segment = unescapePointer(raw);
      const current = node as { type?: unknown; properties?: Record<string, unknown>; items?: unknown } | undefined;
      if (current?.properties && segment in current.properties) node = current.properties[segment];
      else if (current?.items && (segment === '*' || /^\d+$/.test(segment))) node = current.items;
      else {
        problems.push({ at, message: `"${pointer}" names nothing the schema describes (no "${segment}")` });
        return;
      }
    }
  });
  return problems;
}
