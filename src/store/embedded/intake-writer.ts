import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { IntakeItem, IntakeResult } from '../intake.port';
import type { ThreadWriteLock } from './write-lock';
import { decodeResult, encodeItem, fromWireError, type WireError, type WireItem, type WireResult } from './intake-wire';

/** A batch as it crosses to the writer thread (see intake-wire.ts for the shapes). */
export interface WriterRequest {
  readonly id: number;
  readonly rulesModule: string;
  readonly items: readonly WireItem[];
}

export type WriterReply = { readonly id: number; readonly results: readonly WireResult[] } | { readonly id: number; readonly error: WireError };

/**
 * The JavaScript file Node can run for a module: itself once built, or its
 * build under dist/ when this code runs from TypeScript sources (under jest).
 * A thread cannot load TypeScript, so it always gets the built file.
 */
export function runnableModule(file: string): string {
  let runnable = runnableModules.get(file);
  if (runnable) return runnable;
  const base = file.replace(/\.(ts|js)$/, '');
  const at = base.lastIndexOf('/src/');
  runnable = existsSync(`${base}.js`) || at < 0 ? `${base}.js` : `${base.slice(0, at)}/dist/${base.slice(at + 5)}.js`;
  if (!existsSync(runnable)) throw new Error(`${runnable} is missing: run \`node scripts/build.js\` (npm install does) before starting the intake writer thread`);
  runnableModules.set(file, runnable);
  return runnable;
}

const runnableModules = new Map<string, string>();

interface Waiting {
  readonly items: readonly IntakeItem[];
  readonly resolve: (results: IntakeResult[]) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The embedded store's intake writes on a thread of their own. better-sqlite3
 * is synchronous: on the event loop, every statement and each commit's fsync
 * would stall every request. The thread owns a second connection to the same
 * file and runs the same repository code; the event loop only posts batches
 * and waits for the commit. Batches run one after another, in order.
 */
export class IntakeWriterThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private readonly inFlight = new Set<Promise<IntakeResult[]>>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly dbPath: string,
    /** The ThreadWriteLock the event loop's connection writes under; the thread shares its buffer. */
    private readonly writeLock: ThreadWriteLock,
    /** Told when a thread starts and when it stops (it checkpoints the WAL while it runs). */
    private readonly onRunning: (running: boolean) => void = () => undefined,
  ) {}

  record(items: readonly IntakeItem[], rulesModule: string): Promise<IntakeResult[]> {
    if (this.closing) return Promise.reject(new Error('the intake writer is closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const request: WriterRequest = { id, rulesModule: runnableModule(rulesModule), items: items.map(encodeItem) };
    const written = new Promise<IntakeResult[]>((resolve, reject) => {
      worker.postMessage(request);
      this.waiting.set(id, { items, resolve, reject });
      worker.ref(); // a pending write keeps the process up
    });
    const forget = () => void this.inFlight.delete(written);
    this.inFlight.add(written);
    written.then(forget, forget);
    return written;
  }

  /** Lets the posted batches commit, then stops the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.inFlight);
      await this.worker?.terminate();
      this.worker = null;
    })();
    return this.closing;
  }

  private start(): Worker {
    const worker = new Worker(runnableModule(join(__dirname, 'intake-writer.thread.ts')), { workerData: { dbPath: this.dbPath, writeLock: this.writeLock.buffer } });
    worker.unref();
    worker.on('message', (reply: WriterReply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null; // the next batch starts a new thread
      for (const [id, w] of this.waiting) {
        this.waiting.delete(id);
        w.reject(error);
      }
    };
    worker.on('error', (error) => fail(new Error(`the intake writer thread failed: ${error.message}`, { cause: error })));
    const { threadId } = worker; // read now: it reads -1 once the thread has stopped
    this.onRunning(true);
    worker.on('exit', (code) => {
      this.writeLock.releaseIfHeldBy(threadId); // a thread that died inside a batch still holds it
      if (this.worker === worker || this.worker === null) this.onRunning(false);
      fail(new Error(`the intake writer thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: WriterReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if ('error' in reply) {
      waiting.reject(fromWireError(reply.error));
      return;
    }
    waiting.resolve(reply.results.map((result, index) => decodeResult(result, waiting.items[index]!)));
  }
}
