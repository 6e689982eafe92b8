import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context';

/**
 * Fills the request's `RequestRecord` (operation name and type, error codes)
 * for the one log line the HTTP layer writes when the response ends. Variables
 * are never recorded: they carry shoppers' personal data.
 */
export function requestRecordPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      contextValue.record.operationName = request.operationName ?? null;
      return {
        async didResolveOperation({ operationName, operation }) {
          contextValue.record.operationName = operationName ?? null;
          contextValue.record.operationType = operation?.operation ?? null;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            contextValue.record.errorCodes.push(typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR');
          }
        },
      };
    },
  };
}
