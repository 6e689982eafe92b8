import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from 'pino';
import { ENGINE_ERROR_CODES, ErrorCode, GatewayError } from '../schema/errors';

export interface FormatErrorOptions {
  readonly production: boolean;
  readonly logger: Logger;
}

/**
 * One formatter for HTTP and WebSocket results. Gateway and engine errors pass
 * as they are; anything else is a bug: logged in full, and shown to the caller
 * in production only as INTERNAL_SERVER_ERROR without its message or stack.
 */
export function createErrorFormatter({ production, logger }: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof GatewayError) return withoutStack(formatted, production);
    const code = formatted.extensions?.code;
    // Engine errors (parse, validation, coercion) arrive as themselves; a resolver's error arrives wrapped.
    if (original === error && typeof code === 'string' && ENGINE_ERROR_CODES.has(code)) {
      return withoutStack(formatted, production);
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while executing an operation');
    if (!production) return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
    return {
      message: 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function withoutStack(formatted: GraphQLFormattedError, production: boolean): GraphQLFormattedError {
  if (!production || !formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
