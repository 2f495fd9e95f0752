import { Logger } from '@nestjs/common';
import { cancelIncrement, type WithCounterScripts } from './counter.script';

export interface Unanswered {
  valueKey: string;
  recordKey: string;
  by: number;
}

/**
 * An increment without an Idempotency-Key that failed after it may have reached Redis (a
 * command timeout, a connection dropped mid-flight: Redis may have applied it and died before
 * replying) was answered 503, which must mean "not applied". Each such increment carries an
 * outcome record written by the same script, so once Redis answers again this cancels it:
 * undone if it was applied, tombstoned if not. Until then the counter may read one too high;
 * held in memory, so a process that dies before Redis returns leaves the ambiguity in place.
 */
export class UnansweredIncrements {
  private readonly log = new Logger(UnansweredIncrements.name);
  private readonly pending: Array<Unanswered & { at: number }> = [];
  /** Bounds memory through a long outage under load; the oldest are past reconciling first. */
  private static readonly MAX_PENDING = 100_000;
  private timer?: NodeJS.Timeout;
  private draining = false;

  constructor(
    private readonly redis: WithCounterScripts,
    private readonly ttlMs: number,
    private readonly retryMs = 250,
  ) {}

  add(u: Unanswered): void {
    this.pending.push({ ...u, at: Date.now() });
    if (this.pending.length > UnansweredIncrements.MAX_PENDING) this.pending.shift();
    this.schedule();
  }

  get size(): number {
    return this.pending.length;
  }

  /** Tries every pending cancel once now (used at shutdown; failures stay pending). */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length) {
        const { at, ...u } = this.pending[0];
        // Past the outcome record's TTL there is nothing left to reconcile against.
        if (Date.now() - at < this.ttlMs)
          await cancelIncrement(this.redis, { ...u, ttlMs: this.ttlMs });
        this.pending.shift();
      }
    } catch {
      this.schedule(); // Redis still away: try again later
    } finally {
      this.draining = false;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length)
      this.log.warn(`${this.pending.length} increment(s) answered 503 may have been applied`);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.retryMs);
    this.timer.unref();
  }
}
