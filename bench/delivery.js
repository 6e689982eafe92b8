'use strict';
/**
 * npm run bench:delivery: 100,000 signals for one connection through the fake Klaviyo with
 * Klaviyo's real rate limits and 50 ms latency. Signals are recorded by a ROLE=api gateway,
 * then one ROLE=worker gateway delivers them; prints delivered events/s against Klaviyo's
 * ceiling for that connection (bulk steady 150 requests/min x 1,000 events = 2,500 events/s),
 * the share of 429s, and the worker's CPU-seconds per 10,000 events. A script, not a test.
 */
require('./ts-require');
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { FakeKlaviyo } = require('../test/fakes/klaviyo');
const { loadConfig } = require('../dist/config');
const { mintCallerToken, ALL_SCOPES } = require('../dist/auth');

const ROOT = join(__dirname, '..');
const SIGNALS = Number(process.env.BENCH_SIGNALS ?? 100_000);
const CEILING = 2500;

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** utime + stime of a process, in seconds (Linux /proc; clock ticks are 100 Hz). */
const cpuSeconds = (pid) => { const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(fields[11]) + Number(fields[12])) / 100; };

async function startGateway(env) {
  const port = await freePort();
  const child = spawn('node', ['dist/main.js'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i += 1) { try { if ((await fetch(`${url}/readyz`)).ok) break; } catch {} await sleep(100); }
  return { url, child, stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); }) };
}

async function main() {
  const fake = await FakeKlaviyo.start();
  fake.addApiKey('pk_bench_delivery_0123456789');
  fake.latencyMs = 50;
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-bench-delivery-'));
  const env = { NODE_ENV: 'production', DATA_DIR: dataDir, LOG_LEVEL: 'warn', JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123', TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}`, KLAVIYO_API_URL: fake.url };
  const token = mintCallerToken(loadConfig(env).config.jwt, { brand: 'bench', scopes: ALL_SCOPES, ttl: '2h' });
  const api = await startGateway({ ...env, ROLE: 'api' });
  const gql = async (query, variables) => {
    const body = await (await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) })).json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  await gql('mutation { installStandardMetrics { key } }');
  await gql('mutation($k: String!) { connectKlaviyoApiKey(environment: PRODUCTION, apiKey: $k) { id } }', { k: 'pk_bench_delivery_0123456789' });
  await gql('mutation { setMetricRollout(key: "browse_abandonment", rollout: { environment: PRODUCTION, mode: ON }) { version } }');
  const recordStarted = Date.now();
  for (let start = 0; start < SIGNALS; start += 500) {
    const inputs = Array.from({ length: Math.min(500, SIGNALS - start) }, (_, i) => ({ metric: 'browse_abandonment', identity: { externalId: `customer-${(start + i) % 5000}` }, properties: { ProductID: `p_${(start + i) % 300}`, ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/trail-runner-2', ImageURL: 'https://cdn.example.com/tr2.jpg', Price: 119.5, Currency: 'USD' }, idempotencyKey: `bench-${start + i}` }));
    const { recordSignals } = await gql('mutation($inputs: [SignalInput!]!) { recordSignals(inputs: $inputs) { accepted } }', { inputs });
    if (recordSignals.accepted !== inputs.length) throw new Error('some signals were refused');
  }
  const recordSeconds = (Date.now() - recordStarted) / 1000;
  await api.stop();

  const worker = await startGateway({ ...env, ROLE: 'worker' });
  const cpuBefore = cpuSeconds(worker.child.pid);
  const started = Date.now();
  while (fake.account().events.length < SIGNALS && Date.now() - started < 20 * 60_000) await sleep(200);
  const seconds = (Date.now() - started) / 1000;
  const cpu = cpuSeconds(worker.child.pid) - cpuBefore;
  await worker.stop();
  await fake.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const sends = fake.requests.filter((r) => r.path === '/api/event-bulk-create-jobs' || r.path === '/api/events');
  const throttled = sends.filter((r) => r.status === 429).length;
  const delivered = fake.account().events.length;
  const rate = delivered / seconds;
  console.log(`\ndelivery benchmark: ${SIGNALS} signals recorded in ${recordSeconds.toFixed(1)} s, then delivered by one worker (fake Klaviyo: real limits, 50 ms latency)`);
  console.table([{ delivered, seconds: Number(seconds.toFixed(1)), eventsPerSecond: Math.round(rate), ceiling: CEILING, ofCeiling: `${((rate / CEILING) * 100).toFixed(1)}%`, requests: sends.length, throttled, throttledShare: `${((throttled / sends.length) * 100).toFixed(2)}%`, cpuSecondsPer10k: Number(((cpu / delivered) * 10_000).toFixed(2)) }]);
  console.log(`goal: >= 95% of the ceiling, <= 1% 429s`);
}

main().catch((error) => { console.error(error); process.exit(1); });
