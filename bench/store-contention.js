'use strict';
/**
 * npm run bench:contention: how long one small write on the event loop's
 * connection waits while the intake writer thread commits back to back (two
 * batches of BENCH_BATCH signals always in flight, as the batcher keeps them). It
 * writes every 50 ms for BENCH_SECONDS and prints the wait's p50/p99/max and the
 * intake rate meanwhile. A script, not a test.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { EmbeddedStore } = require('../dist/store/embedded/embedded-store');
const { intakeRules } = require('../dist/signals/intake-rules');
const { sortableId } = require('../dist/ids');

const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-contention-'));
  const store = EmbeddedStore.open({ dataDir, intakeWriter: 'thread' });
  let n = 0;
  const item = () => {
    const i = n++;
    const properties = { CartID: `c_${i}`, Items: [{ ProductID: `p_${i % 50}`, Price: 19.5 }] };
    return {
      signal: { id: sortableId(), brand: 'bench', metricId: 'm-1', metricKey: 'cart', metricVersion: 1, occurredAt: new Date(), receivedAt: new Date(), properties, value: null, valueCurrency: null, idempotencyKey: `k-${i}` },
      propertiesJson: JSON.stringify(properties),
      identifiers: [{ kind: 'ANONYMOUS_ID', value: `anon-${i % 5000}` }],
      newProfileId: sortableId(),
      metricName: 'Cart',
      deliveryTargets: [],
    };
  };
  let stop = false;
  const pump = async () => {
    while (!stop) await store.intake.recordSignals(Array.from({ length: BATCH }, item), intakeRules());
  };
  const pumps = [pump(), pump()];
  const waits = [];
  const probe = store.database.prepare("INSERT INTO gateway_meta (key, value) VALUES ('contention_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = process.hrtime.bigint();
    probe.run(String(waits.length));
    waits.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  stop = true;
  await Promise.all(pumps);
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  waits.sort((a, b) => a - b);
  const at = (q) => waits[Math.min(waits.length - 1, Math.floor(waits.length * q))].toFixed(2);
  console.log(`intake: ${Math.round(n / SECONDS)} signals/s in batches of ${BATCH}; one event-loop write (${waits.length} of them): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
