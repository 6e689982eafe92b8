import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Authentication, CallerTokenVerifier } from './auth';
import { createLoaders, type Loaders } from './loaders';
import type { Services } from './services';
import type { Store } from './store';

/** What the gateway records about one request for its one log line (never variables). */
export interface RequestRecord {
  operationName: string | null;
  operationType: string | null;
  errorCodes: string[];
}

/** Per-request state, built by one factory for HTTP requests and WebSocket operations alike. */
export interface GatewayContext {
  readonly requestId: string;
  readonly transport: 'http' | 'ws';
  readonly auth: Authentication;
  readonly logger: Logger;
  readonly store: Store;
  readonly services: Services;
  /** Brand-scoped DataLoaders; absent without a valid token (no field can run then). */
  readonly loaders: Loaders | undefined;
  readonly record: RequestRecord;
}

export interface ContextInput {
  readonly transport: 'http' | 'ws';
  /** The `Authorization` header, or `authorization` of the WS `connection_init` payload. */
  readonly authorization: string | undefined;
  readonly requestId?: string;
  /** The HTTP layer's record of this request, filled in while it runs. */
  readonly record?: RequestRecord;
}

export type ContextFactory = (input: ContextInput) => GatewayContext;

export interface ContextDependencies {
  readonly verifier: CallerTokenVerifier;
  readonly store: Store;
  readonly services: Services;
  readonly logger: Logger;
}

export function createContextFactory({ verifier, store, services, logger }: ContextDependencies): ContextFactory {
  return ({ transport, authorization, requestId = randomUUID(), record = { operationName: null, operationType: null, errorCodes: [] } }) => {
    const auth = verifier.authenticate(authorization);
    return new RequestContext(requestId, transport, auth, store, services, auth.ok ? createLoaders(store, auth.viewer.brand) : undefined, record, logger);
  };
}

/**
 * A class, not an object literal, for the lazy logger: Apollo copies the
 * context per request with Object.assign, which would call an own getter
 * (and make the pino child every request); a getter on the prototype is
 * left alone.
 */
class RequestContext implements GatewayContext {
  private requestLogger: Logger | undefined;

  constructor(
    readonly requestId: string,
    readonly transport: 'http' | 'ws',
    readonly auth: Authentication,
    readonly store: Store,
    readonly services: Services,
    readonly loaders: Loaders | undefined,
    readonly record: RequestRecord,
    private readonly baseLogger: Logger,
  ) {}

  // Made on first use: most requests never log, and a pino child costs a redaction pass.
  get logger(): Logger {
    this.requestLogger ??= this.baseLogger.child({ requestId: this.requestId, ...(this.auth.ok ? { brand: this.auth.viewer.brand } : {}) });
    return this.requestLogger;
  }
}
