import { Writable } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { ALL_SCOPES, mintCallerToken, type Scope } from '../../src/auth';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logging';
import { startServer, type GatewayServer } from '../../src/server';
import { createServices, type Services } from '../../src/services';
import { openStore, type Store } from '../../src/store';
import { testEnv } from './env';

export interface TestGateway {
  readonly config: Config;
  readonly server: GatewayServer;
  readonly store: Store;
  readonly services: Services;
  readonly url: string;
  readonly wsUrl: string;
  /** Every log line written so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly rawLogs: string[];
  token(options?: { brand?: string; scopes?: readonly Scope[]; ttl?: string | number }): string;
  stop(): Promise<void>;
  readonly logger: import('pino').Logger;
}

/** A real gateway in this process: embedded store in a temp DATA_DIR, HTTP and WS on a free port. */
export async function startTestGateway(options: { env?: NodeJS.ProcessEnv; schema?: GraphQLSchema } = {}): Promise<TestGateway> {
  const { config } = loadConfig(testEnv(options.env));
  const rawLogs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      rawLogs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const store = await openStore(config.store);
  const services = createServices({ config, store, logger });
  const server = await startServer({ config, store, logger, services, schema: options.schema, port: config.port });
  return {
    config,
    server,
    store,
    services,
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws'),
    rawLogs,
    get logs() {
      return rawLogs.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    token: ({ brand = 'acme', scopes = ALL_SCOPES, ttl = '5m' } = {}) => mintCallerToken(config.jwt, { brand, scopes, ttl, subject: 'test' }),
    async stop() {
      await server.stop();
      await store.close();
    },
    logger,
  };
}
