import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { invalidField } from '../common/errors/validation';
import { ingestConfig, type IngestConfig } from '../config';
import { inSpan } from '../observability/tracing/spans';
import { SQS } from '../infra/aws';
import { orUnavailable } from './aws-errors';
import { serializeEnvelope, type Envelope } from './envelope';
import { findUnstorable } from './dynamo-limits';
import { badCharacters } from './sqs-characters';
import { IngestMetrics } from './ingest.metrics';
import { IngestQueues } from './ingest.queues';
import { IngestRepository, type StoredMessage } from './ingest.repository';
import { packMessages, type Serialized } from './packing';
import { sendAll, type SendBatch, type SendOutcome } from './send-batches';
import { Coalescer, type FlushInfo } from './coalescer';

export interface NewMessage {
  payload: Record<string, unknown>;
  id?: string;
  source?: string;
}

const SQS_MAX_BATCH_ENTRIES = 10;

const invalid = invalidField;

/** The API side of ingest: puts messages on the queue (never stores them) and reads stored ones. */
@Injectable()
export class IngestService implements BeforeApplicationShutdown {
  /** Gathers small concurrent requests into shared sends; undefined when INGEST_COALESCE_WINDOW_MS=0. */
  private readonly coalescer?: Coalescer;

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    private readonly queues: IngestQueues,
    private readonly repo: IngestRepository,
    private readonly metrics: IngestMetrics,
  ) {
    if (cfg.coalesceWindowMs > 0)
      this.coalescer = new Coalescer(
        (messages) => this.send(messages),
        {
          windowMs: cfg.coalesceWindowMs,
          maxMessages: cfg.coalesceMaxMessages,
          // One full SendMessageBatch: more would only be another call.
          maxBytes: cfg.sendBatchBytes,
        },
        (info) => this.observeFlush(info),
      );
  }

  /** Requests still in the window are sent now, and answered before the server closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.coalescer?.close();
  }

  /**
   * Queues every message, packed several to an SQS message, or answers 503 listing which ids SQS
   * confirmed and which it did not. Throws 400 naming the message when one is larger than
   * INGEST_MAX_MESSAGE_BYTES, or the payload field DynamoDB would refuse. A small request
   * (INGEST_COALESCE_MAX_REQUEST_MESSAGES) first waits up to INGEST_COALESCE_WINDOW_MS and is sent
   * with the others that came meanwhile; it is still answered only for its own messages.
   */
  async accept(messages: NewMessage[]): Promise<Array<{ id: string; status: 'queued' }>> {
    this.assertEnabled();
    const acceptedAt = new Date().toISOString();
    const serialized = messages.map((m, i): Serialized => {
      const envelope: Envelope = {
        id: m.id ?? randomUUID(),
        source: m.source,
        payload: m.payload,
        acceptedAt,
      };
      const badSource = m.source === undefined ? undefined : badCharacters(m.source);
      if (badSource) throw invalid(`messages.${i}.source`, `source ${badSource}`);
      const unstorable = findUnstorable(m.payload);
      if (unstorable)
        throw invalid(
          ['messages', i, 'payload', unstorable.path].filter((p) => p !== '').join('.'),
          unstorable.reason,
        );
      const body = serializeEnvelope(envelope);
      const bytes = Buffer.byteLength(body);
      if (bytes > this.cfg.maxMessageBytes) {
        throw invalid(
          `messages.${i}`,
          `serialized message is ${bytes} bytes; the limit is ${this.cfg.maxMessageBytes}`,
        );
      }
      return { id: envelope.id, body, bytes };
    });
    const { accepted, notAccepted } =
      this.coalescer && serialized.length <= this.cfg.coalesceMaxRequestMessages
        ? await this.coalesce(this.coalescer, serialized)
        : await this.send(serialized);
    this.metrics.count('accepted', accepted.length);
    if (notAccepted.length)
      throw new DependencyUnavailableException('SQS', { accepted, notAccepted });
    return accepted.map((id) => ({ id, status: 'queued' as const }));
  }

  /** Packs the messages and sends the packs; says which ids SQS confirmed and which it did not. */
  private async send(serialized: Serialized[]): Promise<SendOutcome> {
    // A pack also fits in one SendMessageBatch on its own.
    const packBytes = Math.min(this.cfg.maxMessageBytes, this.cfg.sendBatchBytes);
    const outgoing = await inSpan(
      'ingest.pack',
      { 'ingest.messages': serialized.length },
      (span) => {
        const packs = packMessages(serialized, this.cfg.packMaxMessages, packBytes);
        span?.setAttribute('ingest.packs', packs.length);
        return Promise.resolve(packs);
      },
    );
    return sendAll(outgoing, this.sendBatch, {
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBatchBytes: this.cfg.sendBatchBytes,
      attempts: this.cfg.sendAttempts,
      deadlineMs: this.cfg.sendDeadlineMs,
    });
  }

  /** Waits in the window for other small requests, then is sent with them. */
  private coalesce(coalescer: Coalescer, serialized: Serialized[]): Promise<SendOutcome> {
    this.metrics.coalesceWaiting.inc();
    return coalescer.submit(serialized);
  }

  private observeFlush({ reason, messages, requests, waitedMs }: FlushInfo): void {
    this.metrics.coalescedMessages.observe({ reason }, messages);
    this.metrics.coalescedRequests.observe(requests);
    this.metrics.coalesceWaiting.dec(requests);
    for (const ms of waitedMs) this.metrics.coalesceWait.observe(ms / 1000);
  }

  async get(id: string): Promise<StoredMessage> {
    this.assertEnabled();
    const item = await orUnavailable('DynamoDB', () =>
      this.repo.get(id, AbortSignal.timeout(this.cfg.sendDeadlineMs)),
    );
    if (!item) throw new NotFoundException(`Message ${id} is not stored (yet)`);
    return item;
  }

  private readonly sendBatch: SendBatch = async (entries, signal) => {
    const { url } = await this.queues.main(signal);
    const out = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: entries.map((e) => ({ Id: e.entryId, MessageBody: e.body })),
      }),
      { abortSignal: signal },
    );
    return {
      successful: (out.Successful ?? []).map((s) => s.Id!),
      failed: (out.Failed ?? []).map((f) => ({
        entryId: f.Id!,
        senderFault: f.SenderFault === true,
      })),
    };
  };

  private assertEnabled(): void {
    if (!this.cfg.enabled)
      throw new ServiceUnavailableException({
        message: 'Ingest is disabled (INGEST_ENABLED=false)',
        code: 'INGEST_DISABLED',
      });
  }
}
