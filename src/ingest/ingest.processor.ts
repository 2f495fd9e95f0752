import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SQS } from '../infra/aws';
import { extractContext, inSpan, otel, TRACING } from '../observability/tracing/spans';
import { isTransient } from './aws-errors';
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
      : { stored: [], duplicate: [], failed: [] };
    if (!result) return []; // shutting down: SQS redelivers them
    const done = new Set([...result.stored, ...result.duplicate]);
    const refused = new Set(result.failed);
    const deleted = valid.filter((v) => v.envelopes.every((e) => done.has(e.id)));
    const released = valid.filter((v) => v.envelopes.some((e) => refused.has(e.id)));
    const toDelete = deleted.map((v) => v.m);
    const toRelease = [...poison, ...released.map((v) => v.m)];
    this.countStages(result.stored.length, done, valid, released, poison.length);
    if (toRelease.length)
      this.logger.warn(
        `${poison.length} poison and ${released.length} refused messages left for the DLQ`,
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

  private async storeWithRetry(valid: Received[]): Promise<StoreResult | undefined> {
    const inputs = valid.flatMap(({ m, envelopes }) => {
      const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
      return envelopes.map((envelope) => ({ envelope, receiveCount }));
    });
    for (let attempt = 0; ; attempt++) {
      if (this.stop.signal.aborted) return undefined;
      try {
        return await this.repo.store(inputs);
      } catch (err) {
        if (!(err instanceof StorageBusyError) && !isTransient(err)) {
          // The table itself is refused (missing, no permission): leave the batch to the redrive policy.
          this.logger.error({ err }, 'storing a batch failed; it stays in SQS');
          return { stored: [], duplicate: [], failed: [] };
        }
        if (attempt === 0)
          this.logger.warn(`DynamoDB unavailable (${(err as Error).name}); retrying the batch`);
        await this.sleep(Math.min(BACKOFF_MAX_MS, 100 * 2 ** attempt));
      }
    }
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
