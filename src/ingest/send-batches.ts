import { setTimeout as pause } from 'node:timers/promises';
/** One SQS message ready to send: the ids of the ingest messages it carries and its body. */
export interface Outgoing {
  ids: string[];
  body: string;
}

/** What one SendMessageBatch call reports, by the entry ids we gave it (indexes as strings). */
export interface BatchResult {
  successful: string[];
  /** Failed entries; senderFault ones are not worth retrying. */
  failed: Array<{ entryId: string; senderFault: boolean }>;
}

export type SendBatch = (
  entries: Array<{ entryId: string; body: string }>,
  signal: AbortSignal,
) => Promise<BatchResult>;

export interface SendOptions {
  maxEntries: number;
  maxBatchBytes: number;
  attempts: number;
  deadlineMs: number;
}

export interface SendOutcome {
  accepted: string[];
  notAccepted: string[];
}

/** Splits into chunks of at most maxEntries and maxBatchBytes (body bytes), keeping order. */
export function chunk<T extends Outgoing>(
  items: T[],
  maxEntries: number,
  maxBatchBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item.body);
    if (current.length > 0 && (current.length === maxEntries || bytes + size > maxBatchBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Sends every message in parallel batches, retrying failed entries (and failed calls) until the
 * attempts or the deadline run out. Returns which ids SQS confirmed and which it did not (every id
 * of an SQS message goes with it): an id in notAccepted may still have reached the queue (a lost
 * answer), so a client retries it with the same id and storage keeps one item.
 */
export async function sendAll(
  messages: Outgoing[],
  send: SendBatch,
  o: SendOptions,
): Promise<SendOutcome> {
  const indexed = messages.map((m, i) => ({ ...m, entryId: String(i) }));
  const signal = AbortSignal.timeout(o.deadlineMs);
  const confirmed = new Set<string>();
  await Promise.all(
    chunk(indexed, o.maxEntries, o.maxBatchBytes).map(async (batch) => {
      let pending = batch;
      for (
        let attempt = 1;
        attempt <= o.attempts && pending.length > 0 && !signal.aborted;
        attempt++
      ) {
        if (attempt > 1) await pause(25 * 2 ** attempt);
        try {
          const res = await send(
            pending.map(({ entryId, body }) => ({ entryId, body })),
            signal,
          );
          res.successful.forEach((e) => confirmed.add(e));
          const retryable = new Set(res.failed.filter((f) => !f.senderFault).map((f) => f.entryId));
          pending = pending.filter((p) => retryable.has(p.entryId));
        } catch {
          // The whole call failed (network, throttling, timeout): all of `pending` is tried again.
        }
      }
    }),
  );
  const accepted: string[] = [];
  const notAccepted: string[] = [];
  for (const m of indexed) (confirmed.has(m.entryId) ? accepted : notAccepted).push(...m.ids);
  return { accepted, notAccepted };
}
