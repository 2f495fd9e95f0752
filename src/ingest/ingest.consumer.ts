import type { Message, QueueAttributeName, SQSClient } from '@aws-sdk/client-sqs';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Consumer } from 'sqs-consumer';
import { ingestConfig, type IngestConfig } from '../config';
import { SQS_LONG_POLL } from '../infra/aws';
import { IngestProcessor } from './ingest.processor';
import { IngestQueues } from './ingest.queues';

const ERROR_BACKOFF_MAX_MS = 10_000;

/**
 * INGEST_CONSUMERS concurrent long-polling receivers (sqs-consumer), roles worker and all.
 * sqs-consumer polls, batches and keeps the visibility alive (heartbeat); deletion is done by
 * IngestProcessor (shouldDeleteMessages off) so that a shutdown can abort the long polls without
 * aborting the deletes of batches already stored.
 */
@Injectable()
export class IngestConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IngestConsumer');
  private readonly consumers: Consumer[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private startTimer?: NodeJS.Timeout;

  constructor(
    @Inject(SQS_LONG_POLL) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    private readonly queues: IngestQueues,
    private readonly processor: IngestProcessor,
  ) {}

  onApplicationBootstrap(): void {
    if (this.cfg.enabled && this.cfg.consumers > 0) void this.start(0);
  }

  /** Starts once the queue URL is known; SQS down at start is retried, never fatal. */
  private async start(attempt: number): Promise<void> {
    if (this.stopped) return;
    let url: string;
    try {
      url = (await this.queues.main()).url;
    } catch (err) {
      const wait = Math.min(ERROR_BACKOFF_MAX_MS, 250 * 2 ** attempt);
      this.logger.warn(
        `ingest queue not reachable (${(err as Error).name}); retrying in ${wait} ms`,
      );
      this.startTimer = setTimeout(() => void this.start(attempt + 1), wait);
      return;
    }
    if (this.stopped) return;
    for (let i = 0; i < this.cfg.consumers; i++) this.consumers.push(this.create(url));
    this.consumers.forEach((c) => c.start());
    this.logger.log(`${this.cfg.consumers} consumers polling ${this.cfg.queueName}`);
  }

  private create(queueUrl: string): Consumer {
    const consumer = Consumer.create({
      queueUrl,
      sqs: this.sqs,
      batchSize: this.cfg.receiveBatch,
      waitTimeSeconds: this.cfg.waitTimeSeconds,
      visibilityTimeout: this.cfg.visibilityTimeoutSeconds,
      heartbeatInterval: this.cfg.heartbeatSeconds,
      // Both spellings: SQS reads the new one, emulators (and older endpoints) only the deprecated
      // one, whose SDK type wrongly lists queue attributes. Only the receive count is parsed.
      attributeNames: ['ApproximateReceiveCount' as QueueAttributeName],
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      shouldDeleteMessages: false,
      strictReturn: true,
      handleMessageBatch: (messages) => this.track(this.processor.process(messages)),
    });
    // Receive errors (SQS down) repoll with a growing pause instead of a hot loop.
    let backoff = 0;
    const calm = () => {
      if (backoff) consumer.updateOption('pollingWaitTimeMs', (backoff = 0));
    };
    consumer.on('empty', calm);
    consumer.on('message_received', calm);
    consumer.on('error', (err, messages) => {
      if (this.stopped) return;
      if (!messages) {
        backoff = Math.min(ERROR_BACKOFF_MAX_MS, backoff ? backoff * 2 : 200);
        consumer.updateOption('pollingWaitTimeMs', backoff);
      }
      this.logger.warn(`SQS consumer: ${err.message}`);
    });
    consumer.on('processing_error', (err) =>
      this.logger.error({ err }, 'processing a batch failed'),
    );
    return consumer;
  }

  private track(work: Promise<Message[]>): Promise<Message[]> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /** Aborts the long polls, lets batches in progress finish their deletes, then the clients close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.startTimer);
    this.processor.shutdown();
    this.consumers.forEach((c) => c.stop({ abort: true }));
    await Promise.allSettled([...this.inFlight]);
    await this.processor.drain();
  }
}
