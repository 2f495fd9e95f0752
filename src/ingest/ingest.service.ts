import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { invalidField } from '../common/errors/validation';
import { ingestConfig, type IngestConfig } from '../config';
import { SQS } from '../infra/aws';
import { orUnavailable } from './aws-errors';
import { serializeEnvelope, type Envelope } from './envelope';
import { findUnstorable } from './dynamo-limits';
import { IngestMetrics } from './ingest.metrics';
import { IngestQueues } from './ingest.queues';
import { IngestRepository, type StoredMessage } from './ingest.repository';
import { packMessages, type Serialized } from './packing';
import { sendAll, type SendBatch } from './send-batches';

export interface NewMessage {
  payload: Record<string, unknown>;
  id?: string;
  source?: string;
}

const SQS_MAX_BATCH_ENTRIES = 10;

const invalid = invalidField;

/** The API side of ingest: puts messages on the queue (never stores them) and reads stored ones. */
@Injectable()
export class IngestService {
  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    private readonly queues: IngestQueues,
    private readonly repo: IngestRepository,
    private readonly metrics: IngestMetrics,
  ) {}

  /**
   * Queues every message, packed several to an SQS message, or answers 503 listing which ids SQS
   * confirmed and which it did not. Throws 400 naming the message when one is larger than
   * INGEST_MAX_MESSAGE_BYTES, or the payload field DynamoDB would refuse.
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
    // A pack also fits in one SendMessageBatch on its own.
    const packBytes = Math.min(this.cfg.maxMessageBytes, this.cfg.sendBatchBytes);
    const outgoing = packMessages(serialized, this.cfg.packMaxMessages, packBytes);
    const { accepted, notAccepted } = await sendAll(outgoing, this.sendBatch, {
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBatchBytes: this.cfg.sendBatchBytes,
      attempts: this.cfg.sendAttempts,
      deadlineMs: this.cfg.sendDeadlineMs,
    });
    this.metrics.count('accepted', accepted.length);
    if (notAccepted.length)
      throw new DependencyUnavailableException('SQS', { accepted, notAccepted });
    return accepted.map((id) => ({ id, status: 'queued' as const }));
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
