import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planResolution } from '../../../identity';
import { intakeRules } from '../../../signals/intake-rules';
import { EmbeddedStore, IntakeItemRefused, type IntakeItem, type IntakeRules } from '../..';
import { decodeItem, decodeResult, encodeItem, encodeResult } from '../intake-wire';

const PROBE_RULES = join(__dirname, '../../../../test/support/probe-intake-rules.js');
/** Rules the thread loads from PROBE_RULES; on this thread they must never run. */
const probeRules: IntakeRules = {
  module: PROBE_RULES,
  planIdentity: () => {
    throw new Error('ran on the main thread');
  },
  deliveriesFor: () => {
    throw new Error('ran on the main thread');
  },
};

const at = new Date('2026-12-04T12:00:00.000Z');
let n = 0;
const item = (properties: Record<string, unknown> = {}, key = `k-${(n += 1)}`, anonymousId = `a-${n}`): IntakeItem => ({
  signal: { id: `s-${n}-${randomUUID()}`, brand: 'acme', metricId: 'm-1', metricKey: 'cart', metricVersion: 1, occurredAt: at, receivedAt: new Date(at.getTime() + n), properties, value: 12.5, valueCurrency: 'USD', idempotencyKey: key },
  propertiesJson: JSON.stringify(properties),
  identifiers: [{ kind: 'ANONYMOUS_ID', value: anonymousId }],
  newProfileId: `p-${n}-${randomUUID()}`,
  metricName: 'Cart Abandonment',
  deliveryTargets: [{ connectionId: 'c-1', environment: 'PRODUCTION', mode: 'ON', percentage: 100 }],
});

describe('the intake wire format', () => {
  it('carries an item across and back unchanged; properties are parsed only for items with deliveries', () => {
    const original = item({ CartID: 'c_1', Items: [{ Price: 9.5 }] });
    const copy = decodeItem(structuredClone(encodeItem(original)));
    expect(copy).toEqual(original);
    const noTargets = decodeItem(encodeItem({ ...original, deliveryTargets: [] }));
    expect(noTargets.signal.properties).toEqual({});
    expect(noTargets.propertiesJson).toBe(original.propertiesJson);
  });

  it('carries results: a fresh signal as its profile id, a duplicate whole, a refusal with its field', () => {
    const original = item({ a: 1 });
    const fresh = { ok: true as const, duplicate: false, signal: { ...original.signal, profileId: 'p-9' } };
    expect(decodeResult(structuredClone(encodeResult(fresh)), original)).toEqual(fresh);
    const duplicate = { ok: true as const, duplicate: true, signal: { ...item({ b: 2 }).signal, profileId: null } };
    expect(decodeResult(structuredClone(encodeResult(duplicate)), original)).toEqual(duplicate);
    const refused = decodeResult(structuredClone(encodeResult({ ok: false, error: new IntakeItemRefused('properties.x', 'no') })), original);
    expect(refused.ok === false && refused.error).toBeInstanceOf(IntakeItemRefused);
    expect(refused.ok === false && (refused.error as IntakeItemRefused).field).toBe('properties.x');
  });
});

describe('the intake writer thread', () => {
  let dataDir: string;
  let store: EmbeddedStore;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sg-writer-'));
    store = EmbeddedStore.open({ dataDir, intakeWriter: 'thread' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes on its own thread what the main connection then reads, duplicates included', async () => {
    const first = item({ n: 1 }, 'same-key');
    const results = await store.intake.recordSignals([first, item({ n: 2 }, 'same-key'), item({ n: 3 })], probeRules);
    expect(results.map((r) => r.ok && r.duplicate)).toEqual([false, true, false]);
    const [stored] = results;
    expect(stored).toMatchObject({ ok: true, signal: { id: first.signal.id, properties: { n: 1 } } });
    expect(results[1]).toMatchObject({ ok: true, signal: { id: first.signal.id, properties: { n: 1 }, occurredAt: at } });
    const signal = stored!.ok ? stored!.signal : null;
    expect(await store.intake.getSignal('acme', signal!.id)).toEqual(signal);
    expect((await store.intake.deliveriesOfSignals('acme', [signal!.id])).map((d) => d.payload)).toEqual([{ properties: { n: 1 } }]);
    expect((await store.intake.getProfile('acme', signal!.profileId!))?.identifiers).toEqual([{ kind: 'ANONYMOUS_ID', value: first.identifiers[0]!.value }]);
  });

  it('leaves out just the item its rules refuse, and says so with the field', async () => {
    const results = await store.intake.recordSignals([item({ n: 1 }), item({ refuse: true }), item({ n: 3 })], probeRules);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const refused = results[1]!;
    expect(refused.ok === false && refused.error).toBeInstanceOf(IntakeItemRefused);
    expect(refused.ok === false && refused.error).toMatchObject({ field: 'properties.refuse', message: 'refused on the writer thread' });
    expect(await store.intake.getSignals('acme', results.flatMap((r) => (r.ok ? [r.signal.id] : [])))).toHaveLength(2);
  });

  it('records the same graph as the inline writer, with the real rules', async () => {
    const inlineDir = mkdtempSync(join(tmpdir(), 'sg-writer-inline-'));
    const inline = EmbeddedStore.open({ dataDir: inlineDir });
    try {
      const batch = [item({ n: 1 }, 'x-1', 'visitor'), item({ n: 2 }, 'x-2', 'visitor'), item({ n: 3 }, 'x-1', 'other')];
      const strip = (results: Awaited<ReturnType<typeof store.intake.recordSignals>>) => results.map((r) => (r.ok ? { duplicate: r.duplicate, id: r.signal.id, profileId: r.signal.profileId } : r.error.message));
      const viaThread = strip(await store.intake.recordSignals(batch.map((i) => ({ ...i, deliveryTargets: [] })), intakeRules()));
      const viaInline = strip(await inline.intake.recordSignals(batch.map((i) => ({ ...i, deliveryTargets: [] })), { planIdentity: planResolution, deliveriesFor: () => [] }));
      expect(viaThread).toEqual(viaInline);
      expect(viaThread[0]).toMatchObject({ profileId: (viaThread[1] as { profileId: string }).profileId }); // one visitor, one profile
    } finally {
      await inline.close();
      rmSync(inlineDir, { recursive: true, force: true });
    }
  });

  it('fails the batch in flight when the thread dies, and starts a new thread for the next one', async () => {
    const autoCheckpoint = () => store.database.pragma('wal_autocheckpoint', { simple: true });
    expect(autoCheckpoint()).toBe(1000); // no thread yet: this connection checkpoints
    await expect(store.intake.recordSignals([item({ crash: true })], probeRules)).rejects.toThrow('the intake writer thread exited (code 3)');
    expect(autoCheckpoint()).toBe(1000);
    // The dead thread held the write lock: the next batch (on a new thread) and this connection's writes get it.
    const [after] = await store.intake.recordSignals([item({ n: 1 })], probeRules);
    expect(after).toMatchObject({ ok: true, duplicate: false });
    expect(autoCheckpoint()).toBe(0); // the running thread checkpoints
    await store.metrics.define('acme', { key: 'k', contract: { name: 'K', description: null, propertiesSchema: { type: 'object' }, piiFields: [] }, rollout: {} }, 'm-9', at);
  });

  it('commits the batches already posted before it closes', async () => {
    const pending = store.intake.recordSignals([item({ n: 1 }), item({ n: 2 })], probeRules);
    await store.close();
    const results = await pending;
    store = EmbeddedStore.open({ dataDir, intakeWriter: 'thread' });
    expect(await store.intake.getSignals('acme', results.flatMap((r) => (r.ok ? [r.signal.id] : [])))).toHaveLength(2);
    await expect(pending).resolves.toHaveLength(2);
  });
});
