'use strict';
// One "gateway process" for the refresh race test: the gateway's own code (dist/,
// built by `npm test`'s pretest step) on the shared store, making N concurrent
// Klaviyo calls for one connection once the test says "go" on stdin.
const { once } = require('node:events');
const pino = require('pino');
const { loadConfig } = require('../../dist/config');
const { createLogger } = require('../../dist/logging');
const { createServices } = require('../../dist/services');
const { openStore } = require('../../dist/store');

async function main() {
  const [brand, connectionId, calls] = process.argv.slice(2);
  const { config } = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', destination: pino.destination(2) });
  const store = await openStore(config.store);
  const { connections } = createServices({ config, store, logger });
  const connection = await connections.get(brand, connectionId);
  const api = connections.api(connection);
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  const results = await Promise.allSettled(Array.from({ length: Number(calls) }, () => api.getMetrics()));
  const failures = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason && r.reason.message));
  process.stdout.write(`${JSON.stringify({ ok: results.length - failures.length, failures, refreshCalls: connections.accessTokens.refreshCalls })}\n`);
  await store.close();
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
