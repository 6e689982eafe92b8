import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, type ValidationContext, type ValidationRule } from 'graphql';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';

/**
 * Request limits, the same on HTTP and WebSocket. Tokens are counted by
 * graphql-js's parser (it stops parsing at the limit); the rest are validation
 * rules, so a refused document never reaches a resolver.
 */
export const REQUEST_LIMITS = {
  /** Lexical tokens in one document. */
  maxTokens: 1000,
  /** Nested selection depth (fragments flattened). */
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  /** graphql-armor cost: objects 2, scalars 1, times 1.5 per level of depth. */
  maxCost: 5000,
  /** HTTP request body, bytes. */
  maxHttpBodyBytes: 2 * 1024 * 1024,
  /** One WebSocket message, bytes. */
  maxWsPayloadBytes: 64 * 1024,
  /** Time a WebSocket client has to send `connection_init`, ms. */
  connectionInitWaitTimeoutMs: 3000,
} as const;

export const PARSE_OPTIONS = { maxTokens: REQUEST_LIMITS.maxTokens } as const;

/**
 * graphql-armor throws by default, which Apollo answers as a 500; reporting
 * the error to the validation context makes it an ordinary 400 validation
 * failure. Its messages also start with a misleading "Syntax Error: ".
 */
const reportAsValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')))],
};

/** Validation rules added to graphql-js's specified rules on both transports. */
export function limitValidationRules(): ValidationRule[] {
  return [
    // Introspection is bounded by its own flag (off in production), not by depth:
    // tools' standard introspection query nests deeper than any real operation.
    maxDepthRule({ n: REQUEST_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...reportAsValidationError }) as unknown as ValidationRule,
    maxAliasesRule({ n: REQUEST_LIMITS.maxAliases, ...reportAsValidationError }) as unknown as ValidationRule,
    maxDirectivesRule({ n: REQUEST_LIMITS.maxDirectives, ...reportAsValidationError }) as unknown as ValidationRule,
    costLimitRule({ maxCost: REQUEST_LIMITS.maxCost, ignoreIntrospection: true, ...reportAsValidationError }) as unknown as ValidationRule,
  ];
}

/** Apollo refuses introspection itself when `introspection` is off; graphql-ws needs the rule. */
export function websocketValidationRules({ production }: { production: boolean }): ValidationRule[] {
  return [...specifiedRules, ...limitValidationRules(), ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
}
