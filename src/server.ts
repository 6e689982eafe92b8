import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CallerTokenVerifier } from './auth';
import type { Config } from './config';
import { createContextFactory, type RequestRecord } from './context';
import { createApollo } from './graphql/apollo';
import { REQUEST_LIMITS } from './graphql/limits';
import { attachGraphqlWs } from './graphql/websocket';
import { serveApolloRequest } from './http/apollo-integration';
import { handleOAuthCallback } from './http/oauth-callback';
import { sendGraphQLError, sendJson } from './http/respond';
import { buildGatewaySchema } from './schema/build-schema';
import { createServices, type Services } from './services';
import type { Store } from './store';

export const GRAPHQL_PATH = '/graphql';
export const OAUTH_CALLBACK_PATH = '/oauth/klaviyo/callback';

/** How long /readyz may wait for the store before it answers 503. */
const READINESS_TIMEOUT_MS = 2000;
/** In-flight HTTP requests get this long after SIGTERM before their sockets are cut. */
const DRAIN_TIMEOUT_MS = 8000;

export type ServerPhase =
  | { readonly phase: 'serving' }
  | { readonly phase: 'draining'; readonly since: Date }
  | { readonly phase: 'stopped' };

export interface GatewayServer {
  readonly url: string;
  readonly port: number;
  readonly httpServer: Server;
  phase(): ServerPhase;
  /** Readiness off, listener closed, HTTP drained, WebSockets closed with 1001, Apollo stopped. The store stays open. */
  stop(): Promise<void>;
}

export interface ServerDependencies {
  readonly config: Config;
  readonly store: Store;
  readonly logger: Logger;
  /** Defaults to the services wired from config and store. */
  readonly services?: Services;
  /** Defaults to the gateway's schema; tests pass one with probe fields. */
  readonly schema?: GraphQLSchema;
  /** Defaults to `config.port`; 0 picks a free port. */
  readonly port?: number;
  /** Serve GraphQL (default); a worker-only process answers the probes alone. */
  readonly graphql?: boolean;
}

/** One Node HTTP server on one port: GraphQL over HTTP and WebSocket on /graphql, and the probes. */
export async function startServer({
  config,
  store,
  logger,
  services = createServices({ config, store, logger }),
  schema = buildGatewaySchema(),
  port = config.port,
  graphql = true,
}: ServerDependencies): Promise<GatewayServer> {
  const verifier = new CallerTokenVerifier(config.jwt);
  const createContext = createContextFactory({ verifier, store, services, logger });
  const apollo = createApollo({ schema, production: config.production, logger });
  await apollo.start();

  let phase: ServerPhase = { phase: 'serving' };
  const draining = () => phase.phase !== 'serving';

  const handleGraphQL = (req: IncomingMessage, res: ServerResponse, search: string, record: RequestRecord) =>
    serveApolloRequest(apollo, req, res, {
      search,
      maxBodyBytes: REQUEST_LIMITS.maxHttpBodyBytes,
      context: async () => createContext({ transport: 'http', authorization: req.headers.authorization, record }),
      closeConnection: draining,
    });

  async function handleReadiness(res: ServerResponse): Promise<void> {
    if (draining()) return sendJson(res, 503, { status: 'draining' });
    try {
      await withTimeout(store.ping(), READINESS_TIMEOUT_MS, 'store ping timed out');
      sendJson(res, 200, { status: 'ready', store: store.kind });
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed: store unreachable');
      sendJson(res, 503, { status: 'store unreachable', store: store.kind });
    }
  }

  const httpServer = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const { pathname, search } = new URL(req.url ?? '/', 'http://gateway.invalid');
    const record: RequestRecord = { operationName: null, operationType: null, errorCodes: [] };
    // While draining, tell keep-alive clients not to reuse this socket.
    if (draining()) res.setHeader('connection', 'close');
    res.on('finish', () => {
      // A keep-alive socket that just went idle would hold the drain open until it times out.
      if (draining()) setImmediate(() => httpServer.closeIdleConnections());
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const probe = pathname === '/healthz' || pathname === '/readyz';
      const level = probe ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return; // at LOG_LEVEL=warn a busy gateway builds no log record
      logger[level](
        {
          method: req.method,
          path: pathname,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
          ...(pathname === GRAPHQL_PATH ? { operationName: record.operationName, operationType: record.operationType } : {}),
          outcome: res.statusCode >= 400 || record.errorCodes.length > 0 ? 'error' : 'ok',
          ...(record.errorCodes.length > 0 ? { errorCodes: [...new Set(record.errorCodes)] } : {}),
        },
        'request',
      );
    });
    try {
      switch (pathname) {
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          return await handleReadiness(res);
        case GRAPHQL_PATH:
          if (!graphql) return sendJson(res, 404, { error: 'This instance runs ROLE=worker: send GraphQL to an api instance' });
          return await handleGraphQL(req, res, search, record);
        case OAUTH_CALLBACK_PATH:
          if (req.method !== 'GET') return sendJson(res, 405, { error: 'Use GET' });
          return await handleOAuthCallback(new URLSearchParams(search), res, services.connections, logger);
        default:
          return sendJson(res, 404, { error: `No route for ${pathname}` });
      }
    } catch (error) {
      logger.error({ err: error, path: pathname }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.destroy();
    }
  });
  // Slow-loris guard: a client must send its headers promptly.
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: REQUEST_LIMITS.maxWsPayloadBytes });
  const wsServer = attachGraphqlWs({ schema, wss, verifier, createContext, production: config.production, logger });
  httpServer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (pathname !== GRAPHQL_PATH || draining()) {
      socket.end(`HTTP/1.1 ${draining() ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const url = `http://localhost:${address.port}${GRAPHQL_PATH}`;

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopping ??= (async () => {
      phase = { phase: 'draining', since: new Date() };
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      await wsServer.dispose(); // 1001 Going Away to every subscriber
      const forced = setTimeout(() => {
        logger.warn({ timeoutMs: DRAIN_TIMEOUT_MS }, 'drain timed out: closing the remaining connections');
        httpServer.closeAllConnections();
      }, DRAIN_TIMEOUT_MS);
      forced.unref();
      await closed;
      clearTimeout(forced);
      await apollo.stop();
      phase = { phase: 'stopped' };
    })();
    return stopping;
  }

  return { url, port: address.port, httpServer, phase: () => phase, stop };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
