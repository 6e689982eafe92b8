import type { IncomingMessage } from 'node:http';
import { GraphQLError, getOperationAST, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import type { CallerTokenVerifier } from '../auth';
import type { ContextFactory } from '../context';
import { createErrorFormatter } from './format-error';
import { PARSE_OPTIONS, REQUEST_LIMITS, websocketValidationRules } from './limits';

/** What the `connection_init` payload must hold: `{ "authorization": "Bearer <jwt>" }`. */
export interface ConnectionInitPayload {
  authorization?: unknown;
  [key: string]: unknown;
}

export interface GraphqlWsOptions {
  readonly schema: GraphQLSchema;
  readonly wss: WebSocketServer;
  readonly verifier: CallerTokenVerifier;
  readonly createContext: ContextFactory;
  readonly production: boolean;
  readonly logger: Logger;
}

/** The close code graphql-ws uses when `onConnect` refuses: 4403 Forbidden. */
export const FORBIDDEN_CLOSE_CODE: CloseCode = 4403;

function authorizationOf(params: Readonly<ConnectionInitPayload> | undefined): string | undefined {
  return typeof params?.authorization === 'string' ? params.authorization : undefined;
}

/**
 * graphql-ws on the shared schema: authenticates once in `connection_init`
 * (4403 on a bad token), accepts subscriptions only, and applies the HTTP
 * side's token, depth, alias and cost limits before any resolver runs.
 * Returns graphql-ws's disposable, which closes every socket with 1001.
 */
export function attachGraphqlWs({ schema, wss, verifier, createContext, production, logger }: GraphqlWsOptions) {
  const rules = websocketValidationRules({ production });
  const formatError = createErrorFormatter({ production, logger });
  const wsLogger = logger.child({ transport: 'ws' });

  const refuse = (id: string, payload: { operationName?: string | null }, errors: readonly GraphQLError[]) => {
    wsLogger.info({ id, operationName: payload.operationName ?? null, outcome: 'refused', errorCodes: errors.map((e) => e.extensions.code) }, 'ws operation');
    return errors;
  };

  const disposable = useServer<ConnectionInitPayload, { request: IncomingMessage }>(
    {
      connectionInitWaitTimeout: REQUEST_LIMITS.connectionInitWaitTimeoutMs,
      onConnect: (ctx) => {
        const auth = verifier.authenticate(authorizationOf(ctx.connectionParams));
        if (!auth.ok) wsLogger.info({ reason: auth.reason }, 'ws connection refused');
        return auth.ok;
      },
      onSubscribe: (ctx, id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query, PARSE_OPTIONS);
        } catch (error) {
          const parseError = error instanceof GraphQLError ? error : new GraphQLError(String(error));
          return refuse(id, payload, [new GraphQLError(parseError.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
        }
        const validationErrors = validate(schema, document, rules);
        if (validationErrors.length > 0) {
          return refuse(id, payload, validationErrors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })));
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          return refuse(id, payload, [new GraphQLError('Send exactly one operation, or name the one to run in operationName', { extensions: { code: 'BAD_REQUEST' } })]);
        }
        if (operation.operation !== 'subscription') {
          return refuse(id, payload, [
            new GraphQLError(`WebSocket accepts subscriptions only; send ${operation.operation === 'query' ? 'queries' : 'mutations'} over HTTP POST /graphql`, { extensions: { code: 'BAD_REQUEST' } }),
          ]);
        }
        const contextValue = createContext({ transport: 'ws', authorization: authorizationOf(ctx.connectionParams) });
        contextValue.record.operationName = payload.operationName ?? operation.name?.value ?? null;
        contextValue.record.operationType = operation.operation;
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
      onComplete: (_ctx, id, payload) => {
        wsLogger.info({ id, operationName: payload.operationName ?? null, outcome: 'complete' }, 'ws operation');
      },
    },
    wss,
  );
  // graphql-ws reports socket errors (an oversized message: ws closes it with 1009) with
  // console.error; this listener runs after its own and puts them in the JSON log instead.
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error) => wsLogger.warn({ err: error }, 'websocket closed on a protocol error'));
  });
  return disposable;
}
