import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { GatewayContext } from '../context';
import { createErrorFormatter } from './format-error';
import { limitValidationRules, PARSE_OPTIONS } from './limits';
import { requestRecordPlugin } from './request-log.plugin';

export interface ApolloOptions {
  readonly schema: GraphQLSchema;
  readonly production: boolean;
  readonly logger: Logger;
}

/** Apollo Server for HTTP, with the same limits and error masking as the WebSocket side. */
export function createApollo({ schema, production, logger }: ApolloOptions): ApolloServer<GatewayContext> {
  return new ApolloServer<GatewayContext>({
    schema,
    nodeEnv: production ? 'production' : 'development',
    csrfPrevention: true,
    // main.ts owns SIGTERM: Apollo stopping itself would fail the requests still draining.
    stopOnTerminationSignals: false,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    hideSchemaDetailsFromClientErrors: production,
    allowBatchedHttpRequests: false,
    parseOptions: PARSE_OPTIONS,
    validationRules: limitValidationRules(),
    formatError: createErrorFormatter({ production, logger }),
    logger: apolloLogger(logger),
    plugins: [
      requestRecordPlugin(),
      // Answers are per brand and mostly mutations: never HTTP-cacheable. Without the plugin
      // Apollo also stops wrapping every field resolver to track cache hints.
      ApolloServerPluginCacheControlDisabled(),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
  });
}

function apolloLogger(logger: Logger) {
  const child = logger.child({ component: 'apollo' });
  return {
    debug: (message: string) => child.debug(message),
    info: (message: string) => child.info(message),
    warn: (message: string) => child.warn(message),
    error: (message: string) => child.error(message),
  };
}
