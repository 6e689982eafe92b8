import { StoreClosedError, type Store } from '..';

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
  });
}
