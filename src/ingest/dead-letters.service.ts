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
import { DependencyUnavailableException } from '../common/errors/error-body';
import { awsConfig, ingestConfig, type AwsConfig, type IngestConfig } from '../config';
import { classifyAwsError, SQS } from '../infra/aws';
import { orUnavailable } from './aws-errors';
import { parseMessages } from './envelope';
import { IngestQueues } from './ingest.queues';
import type { DeadLetterDto, RedriveResponseDto } from './dto/responses.dto';

const PREVIEW_CHARS = 4096;
/** Listing hides what it has seen for this long, so one listing does not show a message twice. */
const PEEK_VISIBILITY_SECONDS = 10;
const MOVE_VISIBILITY_SECONDS = 30;
/** Share of the route's budget the move task may use before the manual move takes over. */
const MOVE_TASK_SHARE = 0.4;

/**
 * The dead-letter routes. Each runs under one deadline (INGEST_ADMIN_DEADLINE_MS) that every SQS
 * call of it honours; what must happen after it (making peeked messages visible again) has its
 * own short bound, AWS_REQUEST_TIMEOUT_MS. Worst case: the deadline plus that bound.
 */
@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    @Inject(awsConfig.KEY) private readonly aws: AwsConfig,
    private readonly queues: IngestQueues,
  ) {}

  /** Peeks: receives, then makes every message visible again at once. Approximate, like SQS. */
  list(limit: number): Promise<DeadLetterDto[]> {
    const signal = AbortSignal.timeout(this.cfg.adminDeadlineMs);
    return orUnavailable('SQS', async () => {
      const { url } = await this.queues.dlq(signal);
      const seen = new Map<string, Message>();
      try {
        while (seen.size < limit) {
          const batch = await this.receive(
            url,
            Math.min(10, limit - seen.size),
            PEEK_VISIBILITY_SECONDS,
            signal,
          );
          const fresh = batch.filter((m) => !seen.has(m.MessageId!));
          if (!fresh.length) break;
          fresh.forEach((m) => seen.set(m.MessageId!, m));
        }
      } catch (err) {
        // Past the first receive, a listing cut short by the deadline is still a listing.
        if (!seen.size) throw err;
        this.logger.warn(
          `DLQ listing cut short after ${seen.size} messages (${(err as Error).name})`,
        );
      } finally {
        await this.makeVisible(url, [...seen.values()]);
      }
      return [...seen.values()].map(toDeadLetter);
    });
  }

  /**
   * auto: StartMessageMoveTask; when it cannot be started (refused, 5xx, no answer in its share of
   * the budget), the manual move: receive → send → delete. The answer's `method` says which ran,
   * and `fallbackReason` why the move task did not.
   */
  async redrive(method: 'auto' | 'manual', limit: number): Promise<RedriveResponseDto> {
    const deadline = Date.now() + this.cfg.adminDeadlineMs;
    const signal = AbortSignal.timeout(this.cfg.adminDeadlineMs);
    const [main, dlq] = await orUnavailable('SQS', () =>
      Promise.all([this.queues.main(signal), this.queues.dlq(signal)]),
    );
    let fallbackReason: string | undefined;
    if (method === 'auto') {
      const share = AbortSignal.any([
        signal,
        AbortSignal.timeout(this.cfg.adminDeadlineMs * MOVE_TASK_SHARE),
      ]);
      try {
        const depth = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: dlq.url,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
          { abortSignal: share },
        );
        const out = await this.sqs.send(
          new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: main.arn }),
          { abortSignal: share },
        );
        return {
          method: 'move-task',
          taskHandle: out.TaskHandle,
          count: Number(depth.Attributes?.ApproximateNumberOfMessages ?? 0),
        };
      } catch (err) {
        const e = err as Error;
        fallbackReason = `StartMessageMoveTask failed (${e.name}, ${classifyAwsError(err)}): ${e.message}`;
        this.logger.warn(`${fallbackReason}; moving by receive/send/delete instead`);
      }
    }
    const moved = await this.moveByHand(main.url, dlq.url, limit, deadline, signal);
    return fallbackReason ? { ...moved, fallbackReason } : moved;
  }

  /**
   * Moves until `limit`, an empty DLQ, or the deadline: stops starting a batch when less than a
   * request timeout is left, and answers with what it moved. Nothing moved and SQS failing → 503;
   * so is a budget spent before the first receive (a slow fallback from the move task): "moved
   * 0" would claim the DLQ was looked at.
   */
  private async moveByHand(
    mainUrl: string,
    dlqUrl: string,
    limit: number,
    deadline: number,
    signal: AbortSignal,
  ): Promise<RedriveResponseDto> {
    const ids: string[] = [];
    let count = 0;
    let received = false;
    try {
      while (count < limit && deadline - Date.now() > Math.min(1000, this.aws.requestTimeoutMs)) {
        received = true;
        const batch = await this.receive(
          dlqUrl,
          Math.min(10, limit - count),
          MOVE_VISIBILITY_SECONDS,
          signal,
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
          { abortSignal: signal },
        );
        // Only what the main queue confirmed leaves the DLQ. A delete that fails leaves a copy in
        // the DLQ (it reappears after MOVE_VISIBILITY_SECONDS): a duplicate storage absorbs.
        const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
        const moved = batch.filter((_, i) => ok.has(String(i)));
        count += moved.length;
        moved.forEach((m) => ids.push(...idsOf(m.Body)));
        if (moved.length) {
          await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: dlqUrl,
              Entries: moved.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
            { abortSignal: signal },
          );
        }
        if (moved.length < batch.length) break;
      }
    } catch (err) {
      this.logger.warn(
        `manual redrive stopped after ${count} messages: ${(err as Error).name}: ${(err as Error).message}`,
      );
      if (!count) throw new DependencyUnavailableException('SQS', { reason: (err as Error).name });
    }
    if (!received) throw new DependencyUnavailableException('SQS', { reason: 'TimeoutError' });
    return { method: 'manual', count, ids };
  }

  private async receive(
    url: string,
    max: number,
    visibility: number,
    signal: AbortSignal,
  ): Promise<Message[]> {
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
      { abortSignal: signal },
    );
    return out.Messages ?? [];
  }

  /** Bounded on its own (the route's deadline may be spent): they reappear after PEEK_VISIBILITY_SECONDS anyway. */
  private async makeVisible(url: string, messages: Message[]): Promise<void> {
    if (!messages.length) return;
    const signal = AbortSignal.timeout(this.aws.requestTimeoutMs);
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < messages.length; i += 10) {
      calls.push(
        this.sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: url,
              Entries: messages.slice(i, i + 10).map((m, j) => ({
                Id: String(j),
                ReceiptHandle: m.ReceiptHandle,
                VisibilityTimeout: 0,
              })),
            }),
            { abortSignal: signal },
          )
          .catch(() => undefined),
      );
    }
    await Promise.all(calls);
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
