/**
 * The intake writer thread (see IntakeWriterThread): its own connection to
 * the store's file, the same repository code, the rules loaded from the
 * module the caller names. One batch at a time, each one transaction.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IntakeRules } from '../intake.port';
import { openEmbeddedDatabase } from './database';
import { EmbeddedIntakeRepository } from './intake.repository';
import type { WriterReply, WriterRequest } from './intake-writer';
import { decodeItem, encodeResult, toWireError } from './intake-wire';
import { ThreadWriteLock } from './write-lock';

const { dbPath, writeLock } = workerData as { dbPath: string; writeLock: SharedArrayBuffer };
const lock = new ThreadWriteLock(writeLock);
const db = openEmbeddedDatabase(dbPath);
// Intake touches index pages all over the file (idempotency keys, profiles):
// a 64 MiB page cache keeps them in memory.
db.pragma('cache_size = -65536');
// This thread checkpoints the WAL for every connection of the process (the
// event loop's has auto-checkpointing off), once a second, between batches
// and outside the write lock: inside a commit, under the lock, a checkpoint
// made the event loop's writes wait ~30 ms. PASSIVE never waits for a writer.
db.pragma('wal_autocheckpoint = 0');
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Not fatal: the WAL only grows until the next second's checkpoint.
  }
}, 1000);
const repository = new EmbeddedIntakeRepository(db);
const rulesByModule = new Map<string, IntakeRules>();

function rulesFrom(module: string): IntakeRules {
  let rules = rulesByModule.get(module);
  if (!rules) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    rules = (require(module) as { intakeRules(): IntakeRules }).intakeRules();
    rulesByModule.set(module, rules);
  }
  return rules;
}

parentPort!.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    const items = request.items.map(decodeItem);
    const rules = rulesFrom(request.rulesModule);
    // Batches come back to back under load: let a write waiting on the event loop go first.
    const results = lock.holdAfterWaiters(() => repository.recordSignalsNow(items, rules));
    reply = { id: request.id, results: results.map(encodeResult) };
  } catch (error) {
    reply = { id: request.id, error: toWireError(error) };
  }
  parentPort!.postMessage(reply);
});
