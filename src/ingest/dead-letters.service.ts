import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SQS } from '../infra/aws';
import { isTransient, orUnavailable } from './aws-errors';
import { parseMessages } from './envelope';
import { IngestQueues } from './ingest.queues';
import type { DeadLetterDto, RedriveResponseDto } from './dto/responses.dto';

const PREVIEW_CHARS = 4096;
/** Listing hides what it has seen for this long, so one listing does not show a message twice. */
const PEEK_VISIBILITY_SECONDS = 10;
const MOVE_VISIBILITY_SECONDS = 30;

@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    private readonly queues: IngestQueues,
  ) {}

  /** Peeks: receives, then makes every message visible again at once. Approximate, like SQS. */
  list(limit: number): Promise<DeadLetterDto[]> {
    return orUnavailable('SQS', async () => {
      const { url } = await this.queues.dlq();
      const seen = new Map<string, Message>();
      try {
        while (seen.size < limit) {
          const batch = await this.receive(
            url,
            Math.min(10, limit - seen.size),
            PEEK_VISIBILITY_SECONDS,
          );
          const fresh = batch.filter((m) => !seen.has(m.MessageId!));
          if (!fresh.length) break;
          fresh.forEach((m) => seen.set(m.MessageId!, m));
        }
      } finally {
        await this.makeVisible(url, [...seen.values()]);
      }
      return [...seen.values()].map(toDeadLetter);
    });
  }

  /** StartMessageMoveTask where supported (auto), else receive → send → delete. */
  redrive(method: 'auto' | 'manual', limit: number): Promise<RedriveResponseDto> {
    return orUnavailable('SQS', async () => {
      const [main, dlq] = await Promise.all([this.queues.main(), this.queues.dlq()]);
      if (method === 'auto') {
        try {
          const depth = await this.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: dlq.url,
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          );
          const out = await this.sqs.send(
            new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: main.arn }),
          );
          return {
            method: 'move-task',
            taskHandle: out.TaskHandle,
            count: Number(depth.Attributes?.ApproximateNumberOfMessages ?? 0),
          };
        } catch (err) {
          if (isTransient(err)) throw err;
          this.logger.warn(
            `StartMessageMoveTask refused (${(err as Error).name}); moving by receive/send/delete`,
          );
        }
      }
      return this.moveByHand(main.url, dlq.url, limit);
    });
  }

  private async moveByHand(
    mainUrl: string,
    dlqUrl: string,
    limit: number,
  ): Promise<RedriveResponseDto> {
    const ids: string[] = [];
    let count = 0;
    while (count < limit) {
      const batch = await this.receive(
        dlqUrl,
        Math.min(10, limit - count),
        MOVE_VISIBILITY_SECONDS,
      );
      if (!batch.length) break;
      const sent = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: mainUrl,
          Entries: batch.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body,
            MessageAttributes: m.MessageAttributes,
          })),
        }),
      );
      // Only what the main queue confirmed leaves the DLQ.
      const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
      const moved = batch.filter((_, i) => ok.has(String(i)));
      if (moved.length) {
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: moved.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      count += moved.length;
      moved.forEach((m) => ids.push(...idsOf(m.Body)));
      if (moved.length < batch.length) break;
    }
    return { method: 'manual', count, ids };
  }

  private async receive(url: string, max: number, visibility: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        VisibilityTimeout: visibility,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  private async makeVisible(url: string, messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: url,
            Entries: messages.slice(i, i + 10).map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch(() => undefined); // they reappear after PEEK_VISIBILITY_SECONDS anyway
    }
  }
}

/** Our ids in an SQS body: all of a pack's, none for poison. */
const idsOf = (body: string | undefined): string[] => parseMessages(body)?.map((e) => e.id) ?? [];

function toDeadLetter(m: Message): DeadLetterDto {
  const body = m.Body ?? '';
  const sent = Number(m.Attributes?.SentTimestamp);
  const ids = idsOf(body);
  return {
    messageId: m.MessageId!,
    id: ids[0],
    ids,
    body: body.slice(0, PREVIEW_CHARS),
    bodyBytes: Buffer.byteLength(body),
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
  };
}
