import { threadId } from 'node:worker_threads';
import type { Database, Transaction } from 'better-sqlite3';

const STATE = 0; // FREE, or the holder's threadId + 1
const WAITING = 1; // how many threads wait for it
const FREE = 0;

/**
 * One writer at a time among the threads of this process that share the
 * store's file (the event loop's connection and the intake writer thread).
 *
 * SQLite would serialize them anyway, but a connection that finds the file
 * locked polls in sleeps of 1, 2, 5 ... 25 ms, and the intake writer, going
 * from one commit straight to the next, kept winning: under sustained intake
 * a write on the event loop waited 29 ms at the median, stalling every
 * request meanwhile. Here a waiter is woken the moment the lock is free, and
 * the intake writer lets a waiter go first. Other processes still meet
 * SQLite's own lock and busy timeout.
 *
 * Each thread has its own instance over the same SharedArrayBuffer; holds
 * nest. A wait gives up after `timeoutMs`, as SQLite's busy timeout does.
 */
export class ThreadWriteLock {
  private readonly cells: Int32Array;
  private depth = 0;
  private readonly me = threadId + 1; // the STATE cell holds the holder's threadId + 1: the main thread's id is 0

  constructor(
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8),
    /** Like SQLite's busy timeout: how long to wait before a write fails as busy. */
    private readonly timeoutMs = 5000,
  ) {
    this.cells = new Int32Array(buffer);
  }

  hold<T>(write: () => T): T {
    this.acquire();
    try {
      return write();
    } finally {
      this.release();
    }
  }

  /** As `hold`, but first lets a thread that is already waiting go first (for a writer that writes back to back). */
  holdAfterWaiters<T>(write: () => T): T {
    // Wait, briefly, for the waiter to take the lock; then queue behind it.
    if (this.depth === 0 && Atomics.load(this.cells, WAITING) > 0) Atomics.wait(this.cells, STATE, FREE, 5);
    return this.hold(write);
  }

  /**
   * Frees the lock if a thread that has died held it (a thread that exits
   * inside `hold` never reaches its `finally`). Called on the thread's exit.
   */
  releaseIfHeldBy(deadThreadId: number): void {
    if (Atomics.compareExchange(this.cells, STATE, deadThreadId + 1, FREE) === deadThreadId + 1) Atomics.notify(this.cells, STATE);
  }

  private acquire(): void {
    if (this.depth > 0) {
      this.depth += 1;
      return;
    }
    let holder = Atomics.compareExchange(this.cells, STATE, FREE, this.me);
    if (holder !== FREE) {
      const deadline = Date.now() + this.timeoutMs;
      Atomics.add(this.cells, WAITING, 1);
      try {
        while (holder !== FREE) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`the store stayed locked by another thread for ${this.timeoutMs} ms`);
          Atomics.wait(this.cells, STATE, holder, left);
          holder = Atomics.compareExchange(this.cells, STATE, FREE, this.me);
        }
      } finally {
        Atomics.sub(this.cells, WAITING, 1);
      }
    }
    this.depth = 1;
  }

  private release(): void {
    if (--this.depth > 0) return;
    Atomics.store(this.cells, STATE, FREE);
    Atomics.notify(this.cells, STATE);
  }
}

/**
 * Makes every write on `db` take `lock`: statements that change the file
 * (readonly false, RETURNING ones included), transactions, exec. Reads run
 * freely (WAL readers never wait for a writer).
 */
export function lockWrites(db: Database, lock: ThreadWriteLock): Database {
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    if (statement.readonly) return statement;
    for (const method of ['run', 'get', 'all'] as const) {
      const call = (statement[method] as (...args: unknown[]) => unknown).bind(statement);
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => lock.hold(() => call(...args));
    }
    // A changing statement's rows are read (and its changes made) under the lock, not lazily after it.
    const iterate = statement.iterate.bind(statement);
    statement.iterate = ((...args: unknown[]) => lock.hold(() => [...iterate(...args)])[Symbol.iterator]()) as typeof statement.iterate;
    return statement;
  }) as Database['prepare'];

  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const made = transaction(fn) as Transaction<(...args: unknown[]) => unknown>;
    const locked = Object.assign((...args: unknown[]) => lock.hold(() => made(...args)), {
      default: (...args: unknown[]) => lock.hold(() => made.default(...args)),
      deferred: (...args: unknown[]) => lock.hold(() => made.deferred(...args)),
      immediate: (...args: unknown[]) => lock.hold(() => made.immediate(...args)),
      exclusive: (...args: unknown[]) => lock.hold(() => made.exclusive(...args)),
    });
    return locked;
  }) as Database['transaction'];

  const exec = db.exec.bind(db);
  db.exec = ((source: string) => lock.hold(() => exec(source))) as Database['exec'];
  return db;
}

