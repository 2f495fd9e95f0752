import type { Serialized } from './packing';
import type { SendOutcome } from './send-batches';

export interface CoalesceOptions {
  /** How long the first request of a batch waits for others (ms). */
  windowMs: number;
  /** Messages that close the window early: the batch is full. */
  maxMessages: number;
  /** Serialized bytes that close the window early (one full SendMessageBatch). */
  maxBytes: number;
}

/** Why a batch left the window. */
export type FlushReason = 'window' | 'full' | 'shutdown';

/** What one flush formed, for the metrics. */
export interface FlushInfo {
  reason: FlushReason;
  messages: number;
  requests: number;
  /** Per request, the ms it waited in the window. */
  waitedMs: number[];
}

/** Sends messages (their `id`s are the coalescer's keys) and says which SQS confirmed. */
export type FlushSend = (messages: Serialized[]) => Promise<SendOutcome>;

interface Waiting {
  messages: Serialized[];
  bytes: number;
  at: number;
  resolve: (outcome: SendOutcome) => void;
}

/**
 * Gathers the messages of concurrent requests for at most windowMs (less when the batch fills up)
 * and sends them together, so that many one-message requests make one pack and one
 * SendMessageBatch instead of one each. Every request gets back only its own ids, in its order:
 * accepted when SQS confirmed the SQS message that carried them, notAccepted otherwise. Nothing is
 * answered before its send has settled; a request that waits in the window holds only memory, so
 * a process killed then has answered none of them.
 */
export class Coalescer {
  private waiting: Waiting[] = [];
  private messages = 0;
  private bytes = 0;
  private timer?: NodeJS.Timeout;
  private closing = false;
  private readonly inFlight = new Set<Promise<void>>();
  private nextKey = 0;

  constructor(
    private readonly send: FlushSend,
    private readonly o: CoalesceOptions,
    private readonly observe: (info: FlushInfo) => void = () => undefined,
  ) {}

  /** Queues a request's messages for the next batch; settles when that batch's send has. */
  submit(messages: Serialized[]): Promise<SendOutcome> {
    const bytes = messages.reduce((n, m) => n + m.bytes, 0);
    return new Promise<SendOutcome>((resolve) => {
      // A request that would overflow the batch starts the next one instead.
      if (
        this.waiting.length &&
        (this.messages + messages.length > this.o.maxMessages ||
          this.bytes + bytes > this.o.maxBytes)
      )
        this.flush('full');
      this.waiting.push({ messages, bytes, at: performance.now(), resolve });
      this.messages += messages.length;
      this.bytes += bytes;
      if (this.closing) this.flush('shutdown');
      else if (this.messages >= this.o.maxMessages || this.bytes >= this.o.maxBytes)
        this.flush('full');
      else this.timer ??= setTimeout(() => this.flush('window'), this.o.windowMs);
    });
  }

  /** Sends what waits now, and from then on every request at once; resolves when all sends have settled. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.waiting.length) this.flush('shutdown');
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private flush(reason: FlushReason): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.messages = 0;
    this.bytes = 0;
    if (!batch.length) return;
    const now = performance.now();
    // The same id may come in two requests at once: keys, not ids, tell them apart.
    const keyed = batch.map((w) =>
      w.messages.map((m) => ({ ...m, id: String(this.nextKey++), original: m.id })),
    );
    this.observe({
      reason,
      messages: keyed.reduce((n, k) => n + k.length, 0),
      requests: batch.length,
      waitedMs: batch.map((w) => now - w.at),
    });
    const all = keyed.flat();
    const done = this.send(all)
      .then(
        (outcome) => new Set(outcome.accepted),
        () => new Set<string>(), // nothing confirmed: every request gets its 503
      )
      .then((confirmed) => {
        batch.forEach((w, i) => {
          const out: SendOutcome = { accepted: [], notAccepted: [] };
          for (const m of keyed[i])
            (confirmed.has(m.id) ? out.accepted : out.notAccepted).push(m.original);
          w.resolve(out);
        });
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
