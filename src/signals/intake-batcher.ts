import type { IntakeItem, IntakeRepository, IntakeResult, IntakeRules } from '../store';

/**
 * Write coalescing, DataLoader-style: intake items arriving in the same tick
 * are committed in ONE store transaction, so a burst of requests costs one
 * fsync instead of one each. While batches are being committed the next one
 * gathers (group commit): the busier the store, the bigger its batches.
 * Each caller still gets its own result, and only after the commit: an
 * answered write is a durable write.
 */
export class IntakeBatcher {
  private pending: Array<{ item: IntakeItem; resolve: (result: IntakeResult) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private committing = 0;

  constructor(
    private readonly store: IntakeRepository,
    private readonly rules: IntakeRules,
    private readonly maxBatch = 2000,
    /**
     * Two: while the store commits one batch the next is already posted, so a
     * store on its own thread goes from one commit straight to the next while
     * this thread answers the first (+10% signals/s in bench:intake).
     */
    private readonly maxInFlight = 2,
  ) {}

  record(items: readonly IntakeItem[]): Promise<IntakeResult[]> {
    return Promise.all(
      items.map(
        (item) =>
          new Promise<IntakeResult>((resolve, reject) => {
            this.pending.push({ item, resolve, reject });
            this.schedule();
          }),
      ),
    );
  }

  private schedule(): void {
    if (this.scheduled || this.committing >= this.maxInFlight) return;
    this.scheduled = true;
    // setImmediate runs after the current I/O callbacks: every request parsed in this tick joins the batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.committing += 1;
    try {
      const results = await this.store.recordSignals(
        batch.map((entry) => entry.item),
        this.rules,
      );
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.committing -= 1;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
