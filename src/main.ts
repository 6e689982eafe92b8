import 'reflect-metadata';
import { ALL_SCOPES, mintCallerToken } from './auth';
import { ConfigError, loadConfig, type LoadedConfig } from './config';
import { createLogger } from './logging';
import { DEFAULT_RETRY_POLICY, DeliveryWorker } from './delivery';
import { startServer } from './server';
import { createServices } from './services';
import { openStore } from './store';

/** Shutdown must end within this, or the process exits 1 and says so. */
const SHUTDOWN_DEADLINE_MS = 10_000;
const DEV_BRAND = 'demo';

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`signals-gateway: ${error.message}\n`);
    process.exit(1);
  }
  const { config, warnings } = loaded;
  const logger = createLogger({ level: config.logLevel });
  for (const warning of warnings) logger.warn(warning);

  const store = await openStore(config.store);
  const services = createServices({ config, store, logger });
  // Even a worker-only process answers /healthz and /readyz; it serves GraphQL only when its role includes api.
  const server = await startServer({ config, store, logger, services, graphql: config.role !== 'worker' });
  const worker =
    config.role === 'api'
      ? undefined
      : new DeliveryWorker({
          store,
          connections: services.connections,
          bus: services.bus,
          logger: logger.child({ component: 'delivery' }),
          leaseTtlMs: config.delivery.leaseTtlMs,
          retryPolicy: { ...DEFAULT_RETRY_POLICY, retryWindowMs: config.delivery.retryWindowMs },
        });
  worker?.start();
  logger.info({ url: server.url, port: server.port, store: store.kind, nodeEnv: config.nodeEnv, role: config.role }, 'signals-gateway is listening');

  if (!config.production && config.jwt.signingKey) {
    const token = mintCallerToken(config.jwt, { brand: DEV_BRAND, scopes: ALL_SCOPES, subject: 'dev', ttl: '12h' });
    // Printed, not logged: the logger redacts tokens, and this one is meant to be copied.
    process.stdout.write(
      `\nDevelopment token for brand "${DEV_BRAND}" with every scope, valid 12 h (mint others with \`npm run token\`):\n` +
        `Authorization: Bearer ${token}\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    // Log lines are written asynchronously: flush them before the process goes.
    const exit = (code: number) => logger.flush(() => process.exit(code));
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time');
      exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    try {
      await Promise.all([server.stop(), worker?.stop()]);
      await store.close();
      logger.info('stopped');
      exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exit(1);
    }
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`signals-gateway failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
