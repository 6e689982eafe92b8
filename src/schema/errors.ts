import { GraphQLError } from 'graphql';

/** The contract's error codes (`errors[].extensions.code`) raised by the gateway itself. */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/** Codes the GraphQL engine (graphql-js, Apollo) sets for requests it refuses before any resolver. */
export const ENGINE_ERROR_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export interface GatewayErrorOptions {
  /** Input path of the offending value, e.g. "input.identity.email" (BAD_USER_INPUT). */
  readonly field?: string;
  readonly cause?: unknown;
  readonly extensions?: Record<string, unknown>;
}

/**
 * The one error type resolvers and services throw. Its message is written for
 * the caller; `extensions.code` is one of `ErrorCode`.
 */
export class GatewayError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, {
      originalError: options.cause instanceof Error ? options.cause : undefined,
      extensions: { ...options.extensions, code, ...(options.field === undefined ? {} : { field: options.field }) },
    });
    this.name = 'GatewayError';
    this.code = code;
  }
}

/** BAD_USER_INPUT always names the field that is wrong. */
export class BadUserInputError extends GatewayError {
  constructor(field: string, message: string) {
    super(ErrorCode.BAD_USER_INPUT, message, { field });
    this.name = 'BadUserInputError';
  }
}
