import BetterSqlite3, { type Database } from 'better-sqlite3';

/**
 * A connection to the store's file, set up the way every connection must be:
 * WAL journal, `synchronous=FULL` so a committed write survives power loss,
 * not only a process crash; foreign keys on; and a busy timeout, because
 * another connection (the intake writer thread, another process) may hold
 * the write lock for a moment.
 */
export function openEmbeddedDatabase(path: string): Database {
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
