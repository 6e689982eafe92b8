import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** Operations whose request bodies the gateway builds, named as in Klaviyo's spec. */
export type KlaviyoOperationId = 'create_event' | 'bulk_create_events' | 'create_or_update_profile' | 'request_profile_deletion';

export interface SchemaViolation {
  /** JSON pointer into the body, as Klaviyo's `source.pointer` gives it (e.g. "/data/attributes/metric"). */
  readonly pointer: string;
  readonly message: string;
}

const SPEC_DIR = join(__dirname, '..', '..', '..', 'vendor', 'klaviyo-openapi');

/**
 * Validates request bodies against Klaviyo's official OpenAPI slices
 * (vendor/klaviyo-openapi). One compiled validator per operation, made on first use.
 */
export class KlaviyoSchemaValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, discriminator: true });
  private readonly compiled = new Map<KlaviyoOperationId, ValidateFunction>();

  constructor(private readonly specDir: string = SPEC_DIR) {
    addFormats(this.ajv);
  }

  validate(operationId: KlaviyoOperationId, body: unknown): SchemaViolation[] {
    const validate = this.validatorFor(operationId);
    if (validate(body)) return [];
    return (validate.errors ?? []).map(toViolation);
  }

  private validatorFor(operationId: KlaviyoOperationId): ValidateFunction {
    let validate = this.compiled.get(operationId);
    if (!validate) {
      const spec = JSON.parse(readFileSync(join(this.specDir, `${operationId}.json`), 'utf8')) as OpenApiSlice;
      const operation = Object.values(spec.paths).flatMap((methods) => Object.values(methods)).find((op) => op.operationId === operationId);
      const ref = operation?.requestBody?.content?.['application/vnd.api+json']?.schema?.$ref;
      if (!ref) throw new Error(`${operationId}.json has no JSON:API request body`);
      this.ajv.addSchema({ components: toJsonSchema(spec.components) }, operationId);
      validate = this.ajv.getSchema(`${operationId}${ref}`);
      if (!validate) throw new Error(`cannot resolve ${ref} in ${operationId}.json`);
      this.compiled.set(operationId, validate);
    }
    return validate;
  }
}

interface OpenApiSlice {
  paths: Record<string, Record<string, { operationId?: string; requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>>;
  components: unknown;
}

/**
 * OpenAPI 3.0 marks optional-null with `nullable: true`, which JSON Schema
 * does not know (ajv refuses it beside a `$ref`): rewrite it as a null type.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) out[key] = toJsonSchema(value);
  if (nullable !== true) return out;
  if (typeof out.type === 'string' && !('$ref' in out)) {
    const enumValues = Array.isArray(out.enum) ? { enum: [...out.enum, null] } : {};
    return { ...out, type: [out.type, 'null'], ...enumValues };
  }
  return { anyOf: [out, { type: 'null' }] };
}

function toViolation(error: ErrorObject): SchemaViolation {
  const missing = error.keyword === 'required' ? `/${String((error.params as { missingProperty: string }).missingProperty)}` : '';
  return { pointer: `${error.instancePath}${missing}` || '/', message: error.message ?? 'is invalid' };
}
