import { afterPendingIo } from './loop-stall';

/**
 * A Redis call bounded from the moment it is made. ioredis starts `commandTimeout` only when a
 * command is written, and with auto-pipelining it runs one pipeline per connection at a time:
 * while Redis hangs, a new command first waits (unbounded by commandTimeout) for the pipeline in
 * flight to time out, then for its own timeout, so a request waited two command timeouts. The
 * error says "Command timed out", like ioredis's own: 503, and "may have reached Redis" (the
 * command may still be written once the pipeline ahead of it settles).
 *
 * Cheap on the hot path: no timer per call. Calls with the same bound expire in the order they
 * were made, so each bound keeps one queue and one timer, set for the oldest call still waiting.
 */
export function withCommandDeadline<T>(call: Promise<T>, ms: number): Promise<T> {
  let queue = queues.get(ms);
  if (!queue) queues.set(ms, (queue = new DeadlineQueue(ms)));
  return queue.bound(call);
}

interface Pending {
  at: number;
  reject: (err: Error) => void;
  settled: boolean;
}

const queues = new Map<number, DeadlineQueue>();

class DeadlineQueue {
  private readonly items: Pending[] = [];
  private head = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ms: number) {}

  bound<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { at: performance.now() + this.ms, reject, settled: false };
      this.items.push(p);
      if (!this.timer) this.arm(this.ms);
      call.then(
        (v) => {
          p.settled = true;
          resolve(v);
        },
        (e: unknown) => {
          p.settled = true;
          reject(e as Error);
        },
      );
    });
  }

  private arm(delay: number): void {
    // Swept after one I/O poll: replies received while this process stalled settle first.
    this.timer = setTimeout(
      () => afterPendingIo(() => this.sweep()),
      Math.max(1, Math.ceil(delay)),
    );
    this.timer.unref(); // a call in flight keeps the process alive, not its deadline
  }

  /** Fails every call past its bound, drops the settled ones, re-arms for the oldest left. */
  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    const items = this.items;
    while (this.head < items.length) {
      const p = items[this.head];
      if (!p.settled) {
        if (p.at > now) break;
        p.settled = true;
        p.reject(new Error(`Command timed out (no reply within ${this.ms} ms of the call)`));
      }
      this.head++;
    }
    // Compact now and then, so the array does not grow with every call ever made.
    if (this.head > 1024 && this.head * 2 > items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < items.length) this.arm(items[this.head].at - now);
    else {
      items.length = 0;
      this.head = 0;
    }
  }
}
