import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SQS } from '../infra/aws';
import { ingestConfig, type IngestConfig } from '../config';
import { isRetryable } from '../infra/aws';
import { extractContext, inSpan, otel, TRACING } from '../observability/tracing/spans';
import { parseMessages, type Envelope } from './envelope';
import { IngestMetrics } from './ingest.metrics';
import { IngestQueues } from './ingest.queues';
import { IngestRepository, StorageBusyError, type StoreResult } from './ingest.repository';

const BACKOFF_MAX_MS = 2000;

/** An SQS message and the envelopes its body carries. */
interface Received {
  m: Message;
  envelopes: Envelope[];
}

/** What storage did, plus the SQS messages (MessageId) whose in-place retries ran out. */
type Outcome = StoreResult & { gaveUp: string[] };

const inputsOf = (received: Received[]) =>
  received.flatMap(({ m, envelopes }) => {
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    return envelopes.map((envelope) => ({ envelope, receiveCount }));
  });

const describe = (err: unknown) => `${(err as Error)?.name}: ${(err as Error)?.message}`;

/**
 * One received batch: parse, store, then delete from SQS only what is stored (or was already).
 * A poison message or one DynamoDB refuses is made visible again at once, so the queue's redrive
 * policy moves it to the DLQ after maxReceiveCount receives. While DynamoDB is unreachable the
 * batch is retried here, kept invisible by the consumer's heartbeat, so receive counts do not
 * climb towards the DLQ during an outage.
 */
@Injectable()
export class IngestProcessor {
  private readonly logger = new Logger('IngestProcessor');
  private readonly stop = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    private readonly repo: IngestRepository,
    private readonly queues: IngestQueues,
    private readonly metrics: IngestMetrics,
  ) {}

  /** Stops retrying: batches in progress return at once, leaving their messages in SQS. */
  shutdown(): void {
    this.stop.abort();
  }

  /**
   * Returns the messages stored (or already stored): those are deleted from SQS in the background
   * while the consumer polls again, so the delete is off the critical path. drain() awaits them.
   * An SQS message (a pack) is deleted only when every envelope in it is stored; one refused
   * envelope releases it whole, and its stored pack-mates count as duplicates when it comes back.
   */
  async process(messages: Message[]): Promise<Message[]> {
    const endTimer = this.metrics.batchDuration.startTimer();
    const parsed = messages.map((m) => ({ m, envelopes: parseMessages(m.Body) }));
    const valid = parsed.filter((p): p is Received => p.envelopes !== undefined);
    const poison = parsed.filter((p) => p.envelopes === undefined).map((p) => p.m);
    const result = valid.length
      ? await this.traced(valid, () => this.storeWithRetry(valid))
      : { stored: [], duplicate: [], failed: [], gaveUp: [] };
    if (!result) return []; // shutting down: SQS redelivers them
    const done = new Set([...result.stored, ...result.duplicate]);
    const refused = new Set(result.failed);
    const gaveUp = new Set(result.gaveUp);
    const deleted = valid.filter((v) => v.envelopes.every((e) => done.has(e.id)));
    const released = valid.filter(
      (v) => gaveUp.has(v.m.MessageId!) || v.envelopes.some((e) => refused.has(e.id)),
    );
    const toDelete = deleted.map((v) => v.m);
    const toRelease = [...poison, ...released.map((v) => v.m)];
    this.countStages(result.stored.length, done, valid, released, poison.length);
    if (toRelease.length)
      this.logger.warn(
        `${poison.length} poison, ${released.length - gaveUp.size} refused and ${gaveUp.size} given-up messages left for the DLQ`,
      );
    this.background(
      Promise.all([this.delete(toDelete), this.release(toRelease)]).finally(endTimer),
    );
    return toDelete;
  }

  /**
   * Tracing on: the store of a received batch is one span, `ingest.store`. Its parent is the
   * context the first SQS message carries (the `send` span of the POST that queued it), so a
   * message's journey from POST to DynamoDB is one trace; it links every message's context,
   * that one included, so each other trace in the batch leads to the same store.
   */
  private traced<T>(valid: Received[], store: () => Promise<T>): Promise<T> {
    if (!TRACING) return store();
    const contexts = valid.map(({ m }) => {
      const carrier: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {}))
        if (v.StringValue !== undefined) carrier[k] = v.StringValue;
      return otel().trace.getSpanContext(extractContext(carrier));
    });
    const first = valid.findIndex((_, i) => contexts[i] !== undefined);
    const links = contexts.flatMap((ctx, i) =>
      ctx
        ? [{ context: ctx, attributes: { 'messaging.message.id': valid[i].m.MessageId ?? '' } }]
        : [],
    );
    return inSpan(
      'ingest.store',
      {
        'messaging.system': 'aws_sqs',
        'messaging.batch.message_count': valid.length,
        'ingest.messages': valid.reduce((n, v) => n + v.envelopes.length, 0),
      },
      () => store(),
      {
        kind: 4 /* CONSUMER */,
        links,
        parent:
          first >= 0
            ? otel().trace.setSpanContext(otel().ROOT_CONTEXT, contexts[first]!)
            : undefined,
      },
    );
  }

  /**
   * Counts ingest messages (envelopes), not SQS messages, each by what storage did with it: one
   * copy of each id written now is stored, every other copy of a stored or already stored id is a
   * duplicate (redeliveries, resent ids, older acceptances, pack-mates of a refused one coming
   * back). Failed: every envelope of a released message, and each poison message.
   */
  private countStages(
    stored: number,
    done: Set<string>,
    valid: Received[],
    released: Received[],
    poison: number,
  ): void {
    const copies = valid.reduce((n, v) => n + v.envelopes.filter((e) => done.has(e.id)).length, 0);
    this.metrics.count('stored', stored);
    this.metrics.count('duplicate', copies - stored);
    this.metrics.count('failed', released.reduce((n, v) => n + v.envelopes.length, 0) + poison);
  }

  /** Resolves when every background delete and release has finished. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private background(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
  }

  /**
   * Stores the batch in one go; if that fails with anything but a refusal, every SQS message is
   * retried on its own (so one bad message does not hold its batch-mates), each at most
   * INGEST_RETRY_MAX_ATTEMPTS times and for INGEST_RETRY_MAX_MS. Past either bound the message is
   * given up: released for its receive count to move it to the DLQ. Undefined: shutting down.
   */
  private async storeWithRetry(valid: Received[]): Promise<Outcome | undefined> {
    const started = Date.now();
    try {
      return { ...(await this.repo.store(inputsOf(valid))), gaveUp: [] };
    } catch (err) {
      if (!this.retryable(err)) return this.leftInQueue(err);
      this.logger.warn(
        `storing a batch of ${valid.length} failed (${describe(err)}); retrying each message in place`,
      );
    }
    const outcomes = await Promise.all(valid.map((r) => this.storeOne(r, started)));
    if (outcomes.some((o) => o === undefined)) return undefined;
    const total: Outcome = { stored: [], duplicate: [], failed: [], gaveUp: [] };
    for (const o of outcomes as Outcome[]) {
      total.stored.push(...o.stored);
      total.duplicate.push(...o.duplicate);
      total.failed.push(...o.failed);
      total.gaveUp.push(...o.gaveUp);
    }
    return total;
  }

  /** One SQS message's envelopes, retried in place within the bounds (attempt 1 was the batch's). */
  private async storeOne(r: Received, started: number): Promise<Outcome | undefined> {
    for (let attempt = 2; ; attempt++) {
      await this.sleep(Math.min(BACKOFF_MAX_MS, 100 * 2 ** (attempt - 2)));
      if (this.stop.signal.aborted) return undefined;
      try {
        return { ...(await this.repo.store(inputsOf([r]))), gaveUp: [] };
      } catch (err) {
        if (!this.retryable(err)) return this.leftInQueue(err);
        const elapsed = Date.now() - started;
        if (attempt >= this.cfg.retryMaxAttempts || elapsed >= this.cfg.retryMaxMs) {
          this.metrics.retriesExhausted.inc();
          this.logger.error(
            {
              messageId: r.m.MessageId,
              ids: r.envelopes.map((e) => e.id),
              attempts: attempt,
              elapsedMs: elapsed,
              err: describe(err),
            },
            `message ${r.m.MessageId} given up after ${attempt} attempts in ${elapsed} ms (${describe(err)}); released for the DLQ`,
          );
          return { stored: [], duplicate: [], failed: [], gaveUp: [r.m.MessageId!] };
        }
      }
    }
  }

  /** Transient, busy, or an error nobody classified (retried only within the bounds). */
  private retryable(err: unknown): boolean {
    return err instanceof StorageBusyError || isRetryable(err);
  }

  /** The table itself is refused (missing, no permission): leave the batch to the redrive policy. */
  private leftInQueue(err: unknown): Outcome {
    this.logger.error({ err }, 'storing a batch failed for good; it stays in SQS');
    return { stored: [], duplicate: [], failed: [], gaveUp: [] };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done);
    });
  }

  /** DeleteMessageBatch, checking each entry: a failed delete means a redelivery, which storage absorbs. */
  private async delete(messages: Message[]): Promise<Message[]> {
    if (!messages.length) return [];
    try {
      const { url } = await this.queues.main();
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if (out.Failed?.length)
        this.logger.warn(`${out.Failed.length} deletes failed; those messages will be redelivered`);
      const ok = new Set((out.Successful ?? []).map((s) => s.Id));
      return messages.filter((_, i) => ok.has(String(i)));
    } catch (err) {
      this.logger.warn(
        `DeleteMessageBatch failed (${(err as Error).name}); stored messages will be redelivered`,
      );
      return [];
    }
  }

  /** Visibility 0: the next receive counts towards maxReceiveCount without waiting the timeout. */
  private async release(messages: Message[]): Promise<void> {
    if (!messages.length) return;
    try {
      const { url } = await this.queues.main();
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch {
      // They become visible when their visibility timeout ends anyway.
    }
  }
}
