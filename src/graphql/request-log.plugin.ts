import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
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
        // Known before validation, so refused operations are logged by name too.
        async validationDidStart({ document }) {
          const operation = getOperationAST(document, request.operationName);
          contextValue.record.operationName = operation?.name?.value ?? contextValue.record.operationName;
          contextValue.record.operationType = operation?.operation ?? null;
        },
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
