import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { runnableModule } from '../intake-writer';
import { lockWrites, ThreadWriteLock } from '../write-lock';

/**
 * Another thread takes the lock, marks cell 0 = 1 ("inside") and says so,
 * stays inside for a second, then (if given a database) inserts the row
 * 'holder' through a connection of its own, marks cell 0 = 2 and leaves.
 */
async function holderThread(lock: SharedArrayBuffer, dbPath?: string): Promise<{ cells: Int32Array; done: Promise<void> }> {
  const marks = new SharedArrayBuffer(8);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { ThreadWriteLock } = require(workerData.module);
    const db = workerData.dbPath ? new (require('better-sqlite3'))(workerData.dbPath) : null;
    const lock = new ThreadWriteLock(workerData.lock);
    const marks = new Int32Array(workerData.marks);
    lock.hold(() => {
      Atomics.store(marks, 0, 1);
      parentPort.postMessage('inside');
      Atomics.wait(marks, 1, 0, 1000);
      db?.prepare("INSERT INTO t (who) VALUES ('holder')").run();
      Atomics.store(marks, 0, 2);
    });
    db?.close();`;
  const worker = new Worker(code, { eval: true, workerData: { module: runnableModule(join(__dirname, '../write-lock.ts')), lock, marks, dbPath } });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('exit', () => resolve());
    worker.once('error', reject);
  });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { cells: new Int32Array(marks), done };
}

describe('ThreadWriteLock', () => {
  it('nests within a thread, and is free again after the outer hold, also when it threw', () => {
    const lock = new ThreadWriteLock();
    expect(lock.hold(() => lock.hold(() => 'inner'))).toBe('inner');
    expect(new Int32Array(lock.buffer)[0]).toBe(0);
    expect(() =>
      lock.hold(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(new Int32Array(lock.buffer)[0]).toBe(0);
  });

  it('lets one thread in at a time: this one enters only after the other left', async () => {
    const lock = new ThreadWriteLock();
    const holder = await holderThread(lock.buffer);
    expect(lock.hold(() => Atomics.load(holder.cells, 0))).toBe(2);
    await holder.done;
  });
});

describe('lockWrites', () => {
  let dir: string;
  let db: Database;
  let lock: ThreadWriteLock;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-lock-'));
    db = new BetterSqlite3(join(dir, 'x.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)');
    lock = new ThreadWriteLock();
    lockWrites(db, lock);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets reads through while another thread holds the lock', async () => {
    const holder = await holderThread(lock.buffer);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    expect(Atomics.load(holder.cells, 0)).toBe(1); // still inside
    await holder.done;
  });

  it.each([
    ['a plain statement', (d: Database) => d.prepare("INSERT INTO t (who) VALUES ('main')").run()],
    ['a RETURNING statement', (d: Database) => d.prepare("INSERT INTO t (who) VALUES ('main') RETURNING id").get()],
    ['a transaction', (d: Database) => d.transaction(() => d.prepare("INSERT INTO t (who) VALUES ('main')").run()).immediate()],
    ['exec', (d: Database) => d.exec("INSERT INTO t (who) VALUES ('main')")],
    ['an iterated RETURNING statement', (d: Database) => [...d.prepare("INSERT INTO t (who) VALUES ('main') RETURNING id").iterate()]],
  ])('makes %s wait until the other thread has written and left', async (_name, write) => {
    const holder = await holderThread(lock.buffer, join(dir, 'x.db'));
    write(db);
    expect(db.prepare('SELECT who FROM t ORDER BY id').pluck().all()).toEqual(['holder', 'main']);
    await holder.done;
  });
});
