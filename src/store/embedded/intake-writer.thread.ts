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

const { dbPath } = workerData as { dbPath: string };
const db = openEmbeddedDatabase(dbPath);
// Intake touches index pages all over the file (idempotency keys, profiles): a
// 64 MiB page cache keeps them in memory, and checkpointing every 16 MiB of WAL
// rather than 4 MiB copies a page that many batches rewrote once, not each time
// (+5% recordSignals x500 in bench:intake).
db.pragma('cache_size = -65536');
db.pragma('wal_autocheckpoint = 4000');
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
    const results = repository.recordSignalsNow(request.items.map(decodeItem), rulesFrom(request.rulesModule));
    reply = { id: request.id, results: results.map(encodeResult) };
  } catch (error) {
    reply = { id: request.id, error: toWireError(error) };
  }
  parentPort!.postMessage(reply);
});
