import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_DB_FILE, EmbeddedStore } from '..';
import { EMBEDDED_MIGRATIONS } from '../embedded/migrations';
import { describeStoreContract } from './store.contract';

describeStoreContract('embedded (SQLite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-store-'));
  return {
    open: async () => EmbeddedStore.open({ dataDir }),
    reopen: async () => EmbeddedStore.open({ dataDir }),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});

describe('embedded store specifics', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'sg-store-'));

  it('keeps one database file in DATA_DIR, in WAL mode with full fsync', async () => {
    const dir = dataDir();
    const store = EmbeddedStore.open({ dataDir: dir });
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2); // FULL
    await store.close();
    expect(readdirSync(dir).filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))).toEqual([EMBEDDED_DB_FILE]);
  });

  it('applies a later migration to an existing database, and rolls back a failing one whole', async () => {
    const dir = dataDir();
    await EmbeddedStore.open({ dataDir: dir }).close();
    const added = { version: EMBEDDED_MIGRATIONS.length + 1, name: 'add_probe', up: (db: EmbeddedStore['database']) => db.exec('CREATE TABLE probe (id INTEGER PRIMARY KEY)') };
    const upgraded = EmbeddedStore.open({ dataDir: dir, migrations: [...EMBEDDED_MIGRATIONS, added] });
    expect((await upgraded.appliedMigrations()).map((m) => m.name)).toEqual([...EMBEDDED_MIGRATIONS.map((m) => m.name), 'add_probe']);
    await upgraded.close();

    const failing = {
      version: EMBEDDED_MIGRATIONS.length + 2,
      name: 'half_done',
      up: (db: EmbeddedStore['database']) => {
        db.exec('CREATE TABLE half (id INTEGER)');
        throw new Error('boom');
      },
    };
    expect(() => EmbeddedStore.open({ dataDir: dir, migrations: [...EMBEDDED_MIGRATIONS, added, failing] })).toThrow('boom');
    const after = EmbeddedStore.open({ dataDir: dir, migrations: [...EMBEDDED_MIGRATIONS, added] });
    expect(after.database.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    expect((await after.appliedMigrations()).map((m) => m.name)).not.toContain('half_done');
    await after.close();
  });

  it('refuses migrations whose versions are out of order', () => {
    const [first] = EMBEDDED_MIGRATIONS;
    expect(() => EmbeddedStore.open({ dataDir: dataDir(), migrations: [{ ...first!, version: 2 }] })).toThrow(/must have version 1/);
  });
});
