'use strict';
/**
 * npm run bench:intake: in ONE run on this machine, autocannon against
 *   (a) a bare Apollo Server 5 answering { __typename } (same HTTP integration),
 *   (b) the gateway's recordSignal with a valid token and a realistic Cart Abandonment payload,
 *   (c) the gateway's recordSignals with 500 signals per call,
 * on the embedded store, and prints rps, p50/p99 latency, signals/s and (b)/(a).
 * Goals: (b)/(a) >= 0.6; (c) >= 50,000 durable signals/s. A script, not a test.
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { loadConfig } = require('../dist/config');
const { mintCallerToken, ALL_SCOPES } = require('../dist/auth');

const ROOT = join(__dirname, '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Which runs to make, e.g. BENCH_RUNS=b to profile recordSignal alone. */
const RUNS = new Set((process.env.BENCH_RUNS ?? 'a,b,c').split(','));

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function waitFor(url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The V8 flags `npm start` and the Dockerfile run the gateway with; the bare Apollo gets them too. */
const NODE_FLAGS = ['--max-semi-space-size=64'];

function start(command, env) {
  const child = spawn('node', [...NODE_FLAGS, ...command], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return { pid: child.pid, stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); }) };
}

/** CPU seconds (user + system, all threads) a process has used, from /proc; null where there is no /proc. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** The process's peak resident memory so far (VmHWM), in MiB; null where there is no /proc. */
function peakRssMiB(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Math.round(Number(kb[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU seconds per thread: the main thread (tid = pid), the intake writer, V8's GC helpers, ... */
function threadCpuSeconds(pid) {
  const byThread = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Every thread is called "node": tell them apart by tid.
      const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}#${tid}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byThread[name] = (Number(fields[11]) + Number(fields[12])) / 100;
    }
  } catch {}
  return byThread;
}

/**
 * Runs autocannon and notes the CPU the server used meanwhile, and the load
 * generator's own (this process): on two cores they share the machine.
 * BENCH_THREADS=1 prints the server's CPU per thread too.
 */
async function measured(server, options) {
  const before = cpuSeconds(server.pid);
  const threadsBefore = threadCpuSeconds(server.pid);
  const loadBefore = process.cpuUsage();
  const result = await run(options);
  const load = process.cpuUsage(loadBefore);
  const after = cpuSeconds(server.pid);
  if (process.env.BENCH_THREADS) {
    const spent = Object.entries(threadCpuSeconds(server.pid))
      .map(([name, cpu]) => [name, cpu - (threadsBefore[name] ?? 0)])
      .filter(([, cpu]) => cpu >= 0.05)
      .sort((x, y) => y[1] - x[1])
      .map(([name, cpu]) => `${name} ${cpu.toFixed(2)}s`);
    console.log(`server CPU by thread over ${result.duration}s: ${spent.join(', ')}`);
  }
  return Object.assign(result, { serverPeakRssMiB: peakRssMiB(server.pid), serverCpuSeconds: before === null || after === null ? null : after - before, loadCpuSeconds: (load.user + load.system) / 1e6 });
}

function run(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ duration: DURATION, connections: CONNECTIONS, pipelining: 1, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const cartItem = (i) => ({ ProductID: `p_${1000 + (i % 50)}`, VariantID: `v_${i % 7}`, SKU: `SKU-${i % 50}`, ProductName: 'Trail Runner 2', Quantity: 1 + (i % 3), Price: 119.5, RowTotal: 119.5, URL: 'https://shop.example.com/p/trail-runner-2', ImageURL: 'https://cdn.example.com/tr2.jpg', Categories: ['Shoes', 'Running'] });
const cart = (i) => ({ CartID: `c_${i}`, CheckoutURL: `https://shop.example.com/checkout/c_${i}`, Currency: 'USD', CartTotal: 239, ItemCount: 2, ItemNames: ['Trail Runner 2', 'Merino Socks'], Categories: ['Shoes', 'Running'], Items: [cartItem(i), cartItem(i + 1)] });
const RECORD = 'mutation Record($input: SignalInput!) { recordSignal(input: $input) { duplicate signal { id } } }';
const RECORD_MANY = 'mutation RecordMany($inputs: [SignalInput!]!) { recordSignals(inputs: $inputs) { accepted errors { index message } } }';

function summary(name, result, signalsPerRequest = 1) {
  const ok = result['2xx'];
  const rps = ok / result.duration;
  return {
    name,
    rps: Math.round(rps),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    signalsPerSecond: signalsPerRequest ? Math.round(rps * signalsPerRequest) : null,
    // CPU time per answered request, of the server (all its threads) and of the load generator:
    // steadier than rps on a shared machine.
    serverCpuUs: result.serverCpuSeconds === null || ok === 0 ? null : Math.round((result.serverCpuSeconds * 1e6) / ok),
    loadGenCpuUs: ok === 0 ? null : Math.round((result.loadCpuSeconds * 1e6) / ok),
    serverPeakRssMiB: result.serverPeakRssMiB,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  const rows = [];
  // (a) bare Apollo
  if (RUNS.has('a')) {
  const barePort = await freePort();
  const bare = start(['bench/bare-apollo.js'], { PORT: String(barePort) });
  await waitFor(`http://127.0.0.1:${barePort}/graphql?query=%7B__typename%7D`).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  await run({ url: `http://127.0.0.1:${barePort}/graphql`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}', duration: 2 }); // warm-up
  rows.push(summary('(a) bare Apollo { __typename }', await measured(bare, { url: `http://127.0.0.1:${barePort}/graphql`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }), 0));
  await bare.stop();
  }

  // (b), (c) the gateway, production mode, embedded store in a fresh DATA_DIR
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123',
    TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}`,
  };
  // BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway during the run.
  const gateway = start([...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/main.js'], env);
  stopOnFailure = gateway.stop;
  const url = `http://127.0.0.1:${port}/graphql`;
  await waitFor(`http://127.0.0.1:${port}/readyz`);
  const { config } = loadConfig(env);
  const token = mintCallerToken(config.jwt, { brand: 'bench', scopes: ALL_SCOPES, ttl: '1h' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const installed = await (await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: 'mutation { installStandardMetrics { key } }' }) })).json();
  if (installed.errors) throw new Error(JSON.stringify(installed.errors));

  // The load generator shares the two cores with the gateway, so it must cost little per
  // request: inputs are stringified once into templates and only the idempotency key
  // (unique per request, so nothing is a duplicate) is spliced in.
  const KEY = '@@IDEMPOTENCY_KEY@@';
  const input = (i, extra) => ({ metric: 'cart_abandonment', identity: { anonymousId: `anon-${i}` }, properties: cart(i), ...extra, idempotencyKey: KEY });
  const POOL = 5000;
  const singleTemplates = Array.from({ length: POOL }, (_, i) => JSON.stringify({ query: RECORD, variables: { input: input(i, { value: 239, valueCurrency: 'USD' }) } }).split(KEY));
  const inputTemplates = Array.from({ length: POOL }, (_, i) => JSON.stringify(input(i)).split(KEY));
  let n = 0;
  const nextKey = () => `bench-${process.pid}-${n++}`;
  const one = () => {
    const [head, tail] = singleTemplates[n % POOL];
    return head + nextKey() + tail;
  };
  const probe = await (await fetch(url, { method: 'POST', headers, body: one() })).json();
  if (!probe.data?.recordSignal) throw new Error(`recordSignal failed: ${JSON.stringify(probe)}`);
  const recordRequest = { method: 'POST', path: '/graphql', headers, setupRequest: (req) => ({ ...req, body: one() }) };
  if (RUNS.has('b')) {
    await run({ url, requests: [recordRequest], duration: 2 }); // warm-up
    rows.push(summary('(b) gateway recordSignal', await measured(gateway, { url, requests: [recordRequest] })));
  }

  const manyHead = JSON.stringify({ query: RECORD_MANY, variables: { inputs: [] } }).slice(0, -3);
  const many = () => {
    const parts = new Array(500);
    for (let i = 0; i < 500; i++) {
      const [head, tail] = inputTemplates[n % POOL];
      parts[i] = head + nextKey() + tail;
    }
    return `${manyHead}${parts.join(',')}]}}`;
  };
  const batchProbe = await (await fetch(url, { method: 'POST', headers, body: many() })).json();
  if (batchProbe.data?.recordSignals?.accepted !== 500) throw new Error(`recordSignals failed: ${JSON.stringify(batchProbe).slice(0, 500)}`);
  if (RUNS.has('c')) rows.push(summary('(c) gateway recordSignals x500', await measured(gateway, { url, connections: Number(process.env.BENCH_BATCH_CONNECTIONS ?? 8), requests: [{ method: 'POST', path: '/graphql', headers, setupRequest: (req) => ({ ...req, body: many() }) }] }), 500));
  await gateway.stop();
  rmSync(dataDir, { recursive: true, force: true });

  console.log(`\nintake benchmark: ${DURATION}s per run, ${CONNECTIONS} connections (batches: ${process.env.BENCH_BATCH_CONNECTIONS ?? 8}), node ${process.version}, embedded store`);
  console.table(rows);
  const row = (prefix) => rows.find((r) => r.name.startsWith(prefix));
  if (row('(a)') && row('(b)')) console.log(`(b)/(a) = ${(row('(b)').rps / row('(a)').rps).toFixed(2)} (goal >= 0.60)`);
  if (row('(c)')) console.log(`(c) durable signals/s = ${row('(c)').signalsPerSecond} (goal >= 50,000)`);
}

let stopOnFailure = async () => undefined;
main().catch(async (error) => {
  console.error(error);
  await stopOnFailure(); // never leave a gateway behind
  process.exit(1);
});
