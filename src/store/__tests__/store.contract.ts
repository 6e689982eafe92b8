import { randomUUID } from 'node:crypto';
import { StoreClosedError, type CredentialsUpdate, type IntakeItem, type IntakeRules, type Store } from '..';
import { buildEventPayload } from '../../delivery';
import { planResolution } from '../../identity';

/**
 * Behaviors every storage adapter must have, written once. An adapter's test
 * file calls this with a factory that opens a store on a fresh database and a
 * `reopen` that opens a second handle on that same database.
 */
export interface StoreHarness {
  open(): Promise<Store>;
  reopen(): Promise<Store>;
  /** Drops the database after the suite. */
  cleanup(): Promise<void>;
}

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await makeHarness();
      store = await harness.open();
    });

    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('applies every migration once, in order, when opened on an empty database', async () => {
      const applied = await store.appliedMigrations();
      expect(applied.map((m) => m.version)).toEqual(applied.map((_, index) => index + 1));
      expect(applied[0]).toMatchObject({ version: 1, name: 'baseline' });
      expect(applied.every((m) => m.appliedAt instanceof Date && !Number.isNaN(m.appliedAt.getTime()))).toBe(true);
    });

    it('applies nothing again when a second handle opens the same database', async () => {
      const before = await store.appliedMigrations();
      const second = await harness.reopen();
      try {
        expect(await second.appliedMigrations()).toEqual(before);
      } finally {
        await second.close();
      }
    });

    it('describes itself with a store id that every handle on the database shares', async () => {
      const description = await store.describe();
      expect(description.kind).toBe(store.kind);
      expect(description.storeId).toMatch(/^[0-9a-f-]{36}$/);
      expect(description.schemaVersion).toBe((await store.appliedMigrations()).length);
      const second = await harness.reopen();
      try {
        expect((await second.describe()).storeId).toBe(description.storeId);
      } finally {
        await second.close();
      }
    });

    it('answers ping while open and refuses every call after close', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.ping()).rejects.toThrow(StoreClosedError);
      await expect(store.describe()).rejects.toThrow(StoreClosedError);
      await expect(store.close()).resolves.toBeUndefined();
    });

  describe('connections', () => {
    const now = new Date('2026-12-04T12:00:00.000Z');
    const later = (ms: number) => new Date(now.getTime() + ms);
    const credentials: CredentialsUpdate = {
      authMethod: 'OAUTH',
      credentials: { accessToken: 'sealed-a', refreshToken: 'sealed-r', apiKey: null },
      scopes: ['accounts:read', 'events:write'],
      klaviyoAccountId: 'WBhXHN',
      klaviyoAccountName: 'Acme',
      klaviyoTestAccount: false,
      accessTokenIssuedAt: now,
      accessTokenExpiresAt: later(3_600_000),
    };

    it('creates one PENDING connection per brand and environment, and keeps its id', async () => {
      const first = await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      expect(first).toMatchObject({ id: 'c-1', brand: 'acme', environment: 'PRODUCTION', status: 'PENDING', tokenVersion: 0, lastError: null, scopes: [] });
      expect(first.createdAt.toISOString()).toBe(now.toISOString());
      expect((await store.connections.ensure('acme', 'PRODUCTION', 'c-2', later(1))).id).toBe('c-1');
      expect((await store.connections.ensure('acme', 'SANDBOX', 'c-3', now)).id).toBe('c-3');
      expect((await store.connections.list('acme')).map((c) => c.environment)).toEqual(['PRODUCTION', 'SANDBOX']);
    });

    it("never shows one brand another brand's connection", async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      expect(await store.connections.get('globex', 'c-1')).toBeNull();
      expect(await store.connections.findByEnvironment('globex', 'PRODUCTION')).toBeNull();
      expect(await store.connections.list('globex')).toEqual([]);
      expect(await store.connections.updateStatus('globex', 'c-1', { status: 'DISCONNECTED' }, now)).toBeNull();
      expect((await store.connections.get('acme', 'c-1'))?.status).toBe('PENDING');
    });

    it('installs credentials on the same connection, clearing errors and bumping the version', async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      await store.connections.updateStatus('acme', 'c-1', { status: 'NEEDS_REAUTH', lastError: { code: 'invalid_grant', message: 'refused', at: now } }, now);
      const saved = await store.connections.saveCredentials('acme', 'c-1', credentials, later(5));
      expect(saved).toMatchObject({ id: 'c-1', status: 'CONNECTED', authMethod: 'OAUTH', klaviyoAccountId: 'WBhXHN', klaviyoTestAccount: false, lastError: null, tokenVersion: 1, credentials: credentials.credentials, scopes: credentials.scopes });
      expect(saved.accessTokenExpiresAt?.toISOString()).toBe(later(3_600_000).toISOString());
    });

    it('lets exactly one of many concurrent claimants refresh, until it completes or its claim expires', async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      const { tokenVersion } = await store.connections.saveCredentials('acme', 'c-1', credentials, now);
      const owners = Array.from({ length: 10 }, () => randomUUID());
      const claims = await Promise.all(owners.map((owner) => store.connections.claimRefresh('acme', 'c-1', tokenVersion, owner, later(30_000), now)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = owners[claims.indexOf(true)]!;
      const loser = owners.find((o) => o !== winner)!;
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion, loser, later(30_000), later(1000))).toBe(false);
      expect(await store.connections.completeRefresh('acme', 'c-1', tokenVersion, loser, { credentials: { ...credentials.credentials, accessToken: 'x' }, accessTokenIssuedAt: now, accessTokenExpiresAt: now, scopes: [] }, now)).toBe(false);
      const refreshed = { credentials: { accessToken: 'sealed-a2', refreshToken: 'sealed-r2', apiKey: null }, accessTokenIssuedAt: later(1000), accessTokenExpiresAt: later(3_601_000), scopes: ['accounts:read'] };
      expect(await store.connections.completeRefresh('acme', 'c-1', tokenVersion, winner, refreshed, later(1000))).toBe(true);
      const after = (await store.connections.get('acme', 'c-1'))!;
      expect(after).toMatchObject({ tokenVersion: tokenVersion + 1, credentials: refreshed.credentials, scopes: ['accounts:read'] });
      expect(after.lastRefreshedAt?.toISOString()).toBe(later(1000).toISOString());
      // The old version can no longer be claimed; the new one can, and an expired claim is taken over.
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion, loser, later(60_000), later(2000))).toBe(false);
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion + 1, loser, later(3000), later(2000))).toBe(true);
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion + 1, winner, later(60_000), later(2500))).toBe(false);
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion + 1, winner, later(60_000), later(3001))).toBe(true);
      await store.connections.releaseRefresh('acme', 'c-1', winner);
      expect(await store.connections.claimRefresh('acme', 'c-1', tokenVersion + 1, loser, later(60_000), later(3002))).toBe(true);
    });

    it('records status and errors, and wipes every secret on request', async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      const { tokenVersion } = await store.connections.saveCredentials('acme', 'c-1', credentials, now);
      const configError = { code: 'invalid_client', message: 'client refused', at: later(1) };
      const flagged = await store.connections.updateStatus('acme', 'c-1', { configError }, later(1));
      expect(flagged).toMatchObject({ status: 'CONNECTED', configError: { code: 'invalid_client', message: 'client refused' } });
      const wiped = (await store.connections.updateStatus('acme', 'c-1', { status: 'DISCONNECTED', wipeCredentials: true, configError: null }, later(2)))!;
      expect(wiped).toMatchObject({ status: 'DISCONNECTED', credentials: { accessToken: null, refreshToken: null, apiKey: null }, configError: null, accessTokenExpiresAt: null });
      expect(wiped.tokenVersion).toBe(tokenVersion + 1);
    });

    it('reseals credentials only when no refresh changed them meanwhile', async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', now);
      const { tokenVersion } = await store.connections.saveCredentials('acme', 'c-1', credentials, now);
      expect(await store.connections.resealCredentials('acme', 'c-1', tokenVersion - 1, { accessToken: 'x', refreshToken: 'y', apiKey: null }, now)).toBe(false);
      expect(await store.connections.resealCredentials('acme', 'c-1', tokenVersion, { accessToken: 'x', refreshToken: 'y', apiKey: null }, now)).toBe(true);
      expect((await store.connections.listAllBrands()).map((c) => [c.brand, c.credentials.accessToken])).toEqual([['acme', 'x']]);
    });

    it('hands out an authorization state exactly once', async () => {
      await store.connections.ensure('acme', 'SANDBOX', 'c-1', now);
      const record = { state: 'st-1', brand: 'acme', environment: 'SANDBOX' as const, connectionId: 'c-1', sealedVerifier: 'sealed-v', createdAt: now, expiresAt: later(600_000) };
      await store.authorizationStates.create(record);
      const results = await Promise.all([store.authorizationStates.consume('st-1'), store.authorizationStates.consume('st-1')]);
      expect(results.filter(Boolean)).toEqual([record]);
      expect(await store.authorizationStates.consume('unknown')).toBeNull();
      await store.authorizationStates.create({ ...record, state: 'st-2' });
      expect(await store.authorizationStates.consume('st-2', 'globex')).toBeNull();
      expect(await store.authorizationStates.consume('st-2', 'acme')).toEqual({ ...record, state: 'st-2' });
    });
  });

  describe('metric definitions', () => {
    const now = new Date('2026-12-04T12:00:00.000Z');
    const later = (ms: number) => new Date(now.getTime() + ms);
    const contract = { name: 'Cart Abandonment', description: null, propertiesSchema: { type: 'object', properties: { sku: { type: 'string' } } }, piiFields: [] as string[] };

    it('creates version 1, OFF everywhere unless told, and keeps the version when the same contract comes again', async () => {
      const first = await store.metrics.define('acme', { key: 'cart_abandonment', contract, rollout: { PRODUCTION: { mode: 'ON', percentage: 50 } } }, 'm-1', now);
      expect(first).toMatchObject({ id: 'm-1', key: 'cart_abandonment', version: 1, ...contract, rollout: { SANDBOX: { mode: 'OFF', percentage: 100 }, PRODUCTION: { mode: 'ON', percentage: 50 } } });
      // The same contract with its keys in another order is the same contract.
      const again = await store.metrics.define('acme', { key: 'cart_abandonment', contract: { piiFields: [], propertiesSchema: { properties: { sku: { type: 'string' } }, type: 'object' }, description: null, name: 'Cart Abandonment' }, rollout: {} }, 'm-2', later(1));
      expect(again).toMatchObject({ id: 'm-1', version: 1 });
      expect(again.updatedAt.toISOString()).toBe(now.toISOString());
    });

    it('adds a version when the contract changes, and keeps every earlier one', async () => {
      await store.metrics.define('acme', { key: 'cart_abandonment', contract, rollout: {} }, 'm-1', now);
      const changed = { ...contract, piiFields: ['/sku'] };
      const second = await store.metrics.define('acme', { key: 'cart_abandonment', contract: changed, rollout: {} }, 'm-2', later(5));
      expect(second).toMatchObject({ id: 'm-1', version: 2, piiFields: ['/sku'] });
      expect(await store.metrics.getVersion('acme', 'm-1', 1)).toMatchObject({ metricId: 'm-1', version: 1, piiFields: [] });
      expect(await store.metrics.getVersion('acme', 'm-1', 2)).toMatchObject({ version: 2, piiFields: ['/sku'] });
      expect(await store.metrics.getVersion('acme', 'm-1', 3)).toBeNull();
    });

    it('makes exactly one new version out of concurrent identical changes', async () => {
      await store.metrics.define('acme', { key: 'k', contract, rollout: {} }, 'm-1', now);
      const changed = { ...contract, description: 'v2' };
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.metrics.define('acme', { key: 'k', contract: changed, rollout: {} }, `x-${i}`, later(i + 1))));
      expect(new Set(results.map((r) => r.version))).toEqual(new Set([2]));
      expect((await store.metrics.get('acme', 'k'))?.version).toBe(2);
    });

    it('sets one environment\'s rollout without touching the version or the other environment', async () => {
      await store.metrics.define('acme', { key: 'k', contract, rollout: { SANDBOX: { mode: 'SHADOW', percentage: 100 } } }, 'm-1', now);
      const updated = await store.metrics.setRollout('acme', 'k', 'PRODUCTION', { mode: 'ON', percentage: 25 }, later(1));
      expect(updated).toMatchObject({ version: 1, rollout: { SANDBOX: { mode: 'SHADOW', percentage: 100 }, PRODUCTION: { mode: 'ON', percentage: 25 } } });
      expect(await store.metrics.setRollout('acme', 'missing', 'PRODUCTION', { mode: 'ON', percentage: 25 }, later(1))).toBeNull();
    });

    it('keeps brands apart, by key, by id, in lists and versions', async () => {
      await store.metrics.define('acme', { key: 'k', contract, rollout: {} }, 'm-1', now);
      await store.metrics.define('globex', { key: 'k', contract: { ...contract, name: 'Globex Cart' }, rollout: {} }, 'm-2', now);
      expect((await store.metrics.get('globex', 'k'))?.name).toBe('Globex Cart');
      expect(await store.metrics.getById('globex', 'm-1')).toBeNull();
      expect(await store.metrics.getVersion('globex', 'm-1', 1)).toBeNull();
      expect(await store.metrics.setRollout('globex', 'k', 'SANDBOX', { mode: 'ON', percentage: 1 }, now)).toMatchObject({ id: 'm-2' });
      expect((await store.metrics.get('acme', 'k'))?.rollout.SANDBOX.mode).toBe('OFF');
      expect((await store.metrics.list('acme')).map((m) => m.id)).toEqual(['m-1']);
    });
  });

  describe('intake: identity graph, signals, deliveries', () => {
    const at = new Date('2026-12-04T12:00:00.000Z');
    let n = 0;
    const item = (brand: string, identifiers: IntakeItem['identifiers'], key = `k-${(n += 1)}`): IntakeItem => ({
      signal: { id: `s-${n}-${randomUUID()}`, brand, metricId: 'm-1', metricKey: 'cart', metricVersion: 1, occurredAt: at, receivedAt: new Date(at.getTime() + n), properties: { n }, value: 9.5, valueCurrency: 'USD', idempotencyKey: key },
      propertiesJson: JSON.stringify({ n }),
      identifiers,
      newProfileId: `p-${n}-${randomUUID()}`,
      metricName: 'Cart Abandonment',
      deliveryTargets: [{ connectionId: 'c-1', environment: 'PRODUCTION', mode: 'ON', percentage: 100 }],
    });
    const rules = (deliveries = true): IntakeRules => ({
      planIdentity: planResolution,
      deliveriesFor: (signal, profile, entry) =>
        deliveries
          ? [{ id: `d-${signal.id}`, connectionId: 'c-1', environment: 'PRODUCTION', status: 'QUEUED', payload: buildEventPayload({ metricName: entry.metricName, signal, signalIdentifiers: entry.identifiers, profile }) }]
          : [],
    });
    const email = (value: string) => ({ kind: 'EMAIL' as const, value });
    const anon = (value: string) => ({ kind: 'ANONYMOUS_ID' as const, value });

    it('records a signal on a new profile with its identifiers, and its delivery with the payload', async () => {
      const [result] = await store.intake.recordSignals([item('acme', [email('a@e.com'), anon('a1')])], rules());
      expect(result).toMatchObject({ ok: true, duplicate: false });
      if (!result?.ok) throw new Error('not recorded');
      const profile = (await store.intake.getProfile('acme', result.signal.profileId!))!;
      expect(profile.identifiers).toEqual([anon('a1'), email('a@e.com')]);
      expect(await store.intake.getSignal('acme', result.signal.id)).toEqual(result.signal);
      const [delivery] = await store.intake.deliveriesOfSignals('acme', [result.signal.id]);
      expect(delivery).toMatchObject({ signalId: result.signal.id, status: 'QUEUED', attempts: 0, connectionId: 'c-1', environment: 'PRODUCTION', profileId: profile.id, failure: null });
      expect(delivery!.payload).toMatchObject({ data: { attributes: { unique_id: result.signal.idempotencyKey, profile: { data: { attributes: { email: 'a@e.com', anonymous_id: 'a1' } } } } } });
    });

    it('returns the first signal for a repeated idempotency key, also inside one batch', async () => {
      const results = await store.intake.recordSignals([item('acme', [anon('a1')], 'same'), item('acme', [anon('a2')], 'same')], rules());
      expect(results.map((r) => r.ok && r.duplicate)).toEqual([false, true]);
      const [again] = await store.intake.recordSignals([item('acme', [anon('a3')], 'same')], rules());
      expect(again!.ok && again!.signal.id).toBe(results[0]!.ok && results[0]!.signal.id);
      // Keys are per brand.
      const [other] = await store.intake.recordSignals([item('globex', [anon('a1')], 'same')], rules());
      expect(other).toMatchObject({ ok: true, duplicate: false });
    });

    it('links a known browser to an email, then merges two profiles that turn out to be one person', async () => {
      const [first] = await store.intake.recordSignals([item('acme', [anon('a1')])], rules());
      const [second] = await store.intake.recordSignals([item('acme', [email('a@e.com')])], rules());
      const [both] = await store.intake.recordSignals([item('acme', [anon('a1'), email('a@e.com')])], rules());
      const oldest = first!.ok ? first!.signal.profileId! : '';
      const younger = second!.ok ? second!.signal.profileId! : '';
      expect(both!.ok && both!.signal.profileId).toBe(oldest);
      const survivor = (await store.intake.getProfile('acme', oldest))!;
      expect(survivor.identifiers).toEqual([anon('a1'), email('a@e.com')]);
      expect(survivor.mergedProfileIds).toEqual([younger]);
      expect((await store.intake.getProfile('acme', younger))!.id).toBe(oldest);
      expect((await store.intake.getSignal('acme', second!.ok ? second!.signal.id : ''))!.profileId).toBe(oldest);
      expect((await store.intake.deliveriesOfSignals('acme', [second!.ok ? second!.signal.id : '']))[0]!.profileId).toBe(oldest);
    });

    it('fails one bad item alone: nothing of it is written, the rest of the batch is', async () => {
      const failing: IntakeRules = { ...rules(), deliveriesFor: (signal, profile, entry) => { if (signal.properties.n === n) throw new Error("refused payload"); return rules().deliveriesFor(signal, profile, entry); } };
      const good = item('acme', [anon('good')]);
      const bad = item('acme', [anon('bad')]);
      const results = await store.intake.recordSignals([good, bad], failing);
      expect(results.map((r) => r.ok)).toEqual([true, false]);
      expect(await store.intake.getSignal('acme', bad.signal.id)).toBeNull();
      expect(await store.intake.findProfileByIdentifiers('acme', [anon('bad')])).toBeNull();
      expect(await store.intake.getSignal('acme', good.signal.id)).not.toBeNull();
    });

    it('identifies: links identifiers and merges attributes, null clearing one', async () => {
      const profile = await store.intake.identify({ brand: 'acme', identifiers: [anon('a1'), email('a@e.com')], attributes: { first_name: 'Ada', locale: 'en-GB' }, newProfileId: 'p-new', now: at }, rules());
      expect(profile).toMatchObject({ id: 'p-new', attributes: { first_name: 'Ada', locale: 'en-GB' } });
      const again = await store.intake.identify({ brand: 'acme', identifiers: [email('a@e.com')], attributes: { last_name: 'Lovelace', locale: null }, newProfileId: 'p-unused', now: at }, rules());
      expect(again).toMatchObject({ id: 'p-new', attributes: { first_name: 'Ada', last_name: 'Lovelace' } });
      expect(again.attributes).not.toHaveProperty('locale');
    });

    it('pages deliveries in a stable order with a total, filtered, and counts them per metric and environment', async () => {
      const items = Array.from({ length: 5 }, (_, i) => item('acme', [anon(`page-${i}`)]));
      await store.intake.recordSignals(items, rules());
      const first = await store.intake.listDeliveries('acme', {}, 2, null);
      expect(first).toMatchObject({ hasNextPage: true, totalCount: 5 });
      const last = first.deliveries.at(-1)!;
      const second = await store.intake.listDeliveries('acme', {}, 10, { createdAt: last.createdAt, id: last.id });
      expect(second).toMatchObject({ hasNextPage: false, totalCount: 5 });
      expect([...first.deliveries, ...second.deliveries].map((d) => d.signalId)).toEqual(items.map((i) => i.signal.id));
      expect((await store.intake.listDeliveries('acme', { statuses: ['DELIVERED'] }, 10, null)).totalCount).toBe(0);
      expect((await store.intake.listDeliveries('acme', { statuses: ['QUEUED'], environment: 'PRODUCTION', metricId: 'm-1', connectionId: 'c-1' }, 10, null)).totalCount).toBe(5);
      expect((await store.intake.listDeliveries('globex', {}, 10, null)).totalCount).toBe(0);
      const stats = await store.intake.deliveryStats('acme', new Date(at.getTime() - 1), new Date(at.getTime() + 3_600_000));
      expect(stats).toEqual([{ metricId: 'm-1', environment: 'PRODUCTION', byStatus: { QUEUED: 5 }, failuresByCategory: {}, lastDeliveredAt: null }]);
      expect(await store.intake.deliveryStats('acme', new Date(at.getTime() + 3_600_000), new Date(at.getTime() + 7_200_000))).toEqual([]);
    });

    it('forgets a profile: identifiers, PII and payload identities erased, pending deliveries cancelled, deletion requested', async () => {
      await store.connections.ensure('acme', 'PRODUCTION', 'c-1', at);
      await store.connections.saveCredentials('acme', 'c-1', { authMethod: 'API_KEY', credentials: { accessToken: null, refreshToken: null, apiKey: 'sealed' }, scopes: [], klaviyoAccountId: 'A', klaviyoAccountName: null, klaviyoTestAccount: false, accessTokenIssuedAt: null, accessTokenExpiresAt: null }, at);
      await store.metrics.define('acme', { key: 'cart', contract: { name: 'Cart', description: null, propertiesSchema: { type: 'object' }, piiFields: ['/n'] }, rollout: {} }, 'm-1', at);
      const recorded = item('acme', [email('gone@e.com'), anon('gone')]);
      const [result] = await store.intake.recordSignals([recorded], rules());
      const profileId = result!.ok ? result!.signal.profileId! : '';
      expect(await store.intake.forgetProfile('acme', profileId, () => randomUUID(), at)).toBe(true);
      expect(await store.intake.getProfile('acme', profileId)).toBeNull();
      expect(await store.intake.findProfileByIdentifiers('acme', [email('gone@e.com')])).toBeNull();
      const signal = (await store.intake.getSignal('acme', recorded.signal.id))!;
      expect(signal).toMatchObject({ profileId: null, properties: {} });
      const [delivery] = await store.intake.deliveriesOfSignals('acme', [recorded.signal.id]);
      expect(delivery).toMatchObject({ status: 'CANCELLED', profileId: null });
      expect(JSON.stringify(delivery!.payload)).not.toContain('gone@e.com');
      const [request] = await store.intake.deletionRequests('acme');
      expect(request).toMatchObject({ connectionId: 'c-1', environment: 'PRODUCTION', status: 'PENDING', identifiers: [email('gone@e.com')] });
      expect(await store.intake.forgetProfile('acme', profileId, () => randomUUID(), at)).toBe(false);
      expect(await store.intake.forgetProfile('globex', 'anything', () => randomUUID(), at)).toBe(false);
    });

    it('looks profiles up without writing, and keeps brands apart', async () => {
      const [recorded] = await store.intake.recordSignals([item('acme', [email('a@e.com')])], rules());
      const id = recorded!.ok ? recorded!.signal.profileId! : '';
      expect((await store.intake.findProfileByIdentifiers('acme', [email('a@e.com'), anon('never-seen')]))?.id).toBe(id);
      expect(await store.intake.findProfileByIdentifiers('acme', [anon('never-seen')])).toBeNull();
      expect(await store.intake.findProfileByIdentifiers('acme', [anon('never-seen')])).toBeNull();
      expect(await store.intake.findProfileByIdentifiers('globex', [email('a@e.com')])).toBeNull();
      expect(await store.intake.getProfile('globex', id)).toBeNull();
      expect(await store.intake.getSignal('globex', recorded!.ok ? recorded!.signal.id : '')).toBeNull();
      expect(await store.intake.deliveriesOfSignals('globex', [recorded!.ok ? recorded!.signal.id : ''])).toEqual([]);
    });
  });

  describe('delivery queue', () => {
    const at = new Date('2026-12-04T12:00:00.000Z');
    const later = (ms: number) => new Date(at.getTime() + ms);
    const queued = async (count: number) => {
      const items: IntakeItem[] = Array.from({ length: count }, (_, i) => ({
        signal: { id: `q-${i}-${randomUUID()}`, brand: 'acme', metricId: 'm-1', metricKey: 'cart', metricVersion: 1, occurredAt: at, receivedAt: later(i), properties: {}, value: null, valueCurrency: null, idempotencyKey: `q-${i}-${randomUUID()}` },
        propertiesJson: '{}',
        identifiers: [{ kind: 'ANONYMOUS_ID', value: `q-${i}` }],
        newProfileId: randomUUID(),
        metricName: 'Cart',
        deliveryTargets: [{ connectionId: 'c-1', environment: 'PRODUCTION', mode: 'ON', percentage: 100 }],
      }));
      await store.intake.recordSignals(items, { planIdentity: planResolution, deliveriesFor: (signal, _profile, entry) => [{ id: `d-${signal.id}`, connectionId: 'c-1', environment: entry.deliveryTargets[0]!.environment, status: 'QUEUED', payload: {} }] });
      return items.map((i) => `d-${i.signal.id}`);
    };

    it('gives a connection one sender at a time; a lease runs out or is released', async () => {
      expect(await store.deliveryQueue.acquireLease('c-1', 'worker-a', later(10_000), at)).toBe(true);
      expect(await store.deliveryQueue.acquireLease('c-1', 'worker-b', later(10_000), later(1000))).toBe(false);
      expect(await store.deliveryQueue.acquireLease('c-1', 'worker-a', later(20_000), later(1000))).toBe(true); // renewal
      expect(await store.deliveryQueue.acquireLease('c-2', 'worker-b', later(10_000), at)).toBe(true);
      expect(await store.deliveryQueue.acquireLease('c-1', 'worker-b', later(40_000), later(21_000))).toBe(true); // expired
      await store.deliveryQueue.releaseLease('c-1', 'worker-b');
      expect(await store.deliveryQueue.acquireLease('c-1', 'worker-a', later(50_000), later(22_000))).toBe(true);
    });

    it('claims due deliveries oldest first, once, takes back abandoned ones, and records outcomes', async () => {
      const ids = await queued(5);
      const first = await store.deliveryQueue.claimDue('c-1', later(100), later(-60_000), 3);
      expect(first.map((d) => d.id)).toEqual(ids.slice(0, 3));
      expect(first.every((d) => d.status === 'DELIVERING' && d.firstAttemptAt !== null)).toBe(true);
      expect((await store.deliveryQueue.claimDue('c-1', later(100), later(-60_000), 10)).map((d) => d.id)).toEqual(ids.slice(3));
      expect(await store.deliveryQueue.claimDue('c-1', later(200), later(-60_000), 10)).toEqual([]);
      await store.deliveryQueue.recordOutcomes(
        [
          { id: ids[0]!, status: 'DELIVERED', nextAttemptAt: null, failure: null },
          { id: ids[1]!, status: 'RETRYING', nextAttemptAt: later(5000), failure: { category: 'UPSTREAM', httpStatus: 503, code: null, detail: 'down', pointer: null } },
          { id: ids[2]!, status: 'FAILED', nextAttemptAt: null, failure: { category: 'PAYLOAD', httpStatus: 400, code: 'invalid', detail: 'bad', pointer: '/data' } },
        ],
        later(300),
      );
      const byId = new Map((await store.intake.listDeliveries('acme', {}, 10, null)).deliveries.map((d) => [d.id, d]));
      expect(byId.get(ids[0]!)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
      expect(byId.get(ids[0]!)!.deliveredAt?.toISOString()).toBe(later(300).toISOString());
      expect(byId.get(ids[1]!)).toMatchObject({ status: 'RETRYING', attempts: 1, failure: { category: 'UPSTREAM', httpStatus: 503 } });
      expect(byId.get(ids[2]!)).toMatchObject({ status: 'FAILED', failure: { pointer: '/data' } });
      // The retry is due at its time; the two still DELIVERING are taken back once their sender is presumed dead.
      expect((await store.deliveryQueue.claimDue('c-1', later(4000), later(0), 10)).map((d) => d.id)).toEqual([]);
      expect((await store.deliveryQueue.claimDue('c-1', later(6000), later(1000), 10)).map((d) => d.id)).toEqual([ids[1], ids[3], ids[4]]);
    });

    it('holds a broken connection\'s pending deliveries and releases them on reconnection', async () => {
      const ids = await queued(3);
      await store.deliveryQueue.claimDue('c-1', later(1), later(-60_000), 1);
      expect(await store.deliveryQueue.holdConnection('c-1', later(2))).toBe(3);
      expect(await store.deliveryQueue.claimDue('c-1', later(3), later(10_000), 10)).toEqual([]);
      expect(await store.deliveryQueue.releaseHeld('c-1', later(4))).toBe(3);
      expect((await store.deliveryQueue.claimDue('c-1', later(5), later(-60_000), 10)).map((d) => d.id)).toEqual(ids);
    });
  });
  });
}
