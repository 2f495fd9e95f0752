import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ingestConfig, type IngestConfig } from '../config';
import { SQS } from '../infra/aws';
import { counter, gauge, histogram, scrapedGauge } from '../observability/metric';
import { IngestQueues } from './ingest.queues';

export type Stage = 'accepted' | 'stored' | 'duplicate' | 'failed';

const SCRAPE_BUDGET_MS = 1000;

@Injectable()
export class IngestMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly messages = counter({
    name: 'ingest_messages_total',
    help: 'Ingest messages by stage: accepted by the API, stored, duplicate (already stored), failed (poison or refused)',
    labelNames: ['stage'] as const,
  });
  readonly batchDuration = histogram({
    name: 'ingest_batch_duration_seconds',
    help: 'Time for the consumer to store and delete one received batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  /** SQS messages whose in-place store retries ran out (INGEST_RETRY_MAX_*): released for the DLQ. */
  readonly retriesExhausted = counter({
    name: 'ingest_retries_exhausted_total',
    help: 'SQS messages the consumer stopped retrying in place (attempt or time bound reached) and released towards the DLQ',
  });
  /** Coalescing (INGEST_COALESCE_*): what each batch that left the window held, and why it left. */
  readonly coalescedMessages = histogram({
    name: 'ingest_coalesced_batch_messages',
    help: 'Messages per coalesced batch (several small requests sent together in shared packs and SendMessageBatch calls)',
    labelNames: ['reason'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  });
  readonly coalescedRequests = histogram({
    name: 'ingest_coalesced_batch_requests',
    help: 'Requests per coalesced batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  });
  readonly coalesceWait = histogram({
    name: 'ingest_coalesce_wait_seconds',
    help: 'Time a request waited in the coalescing window before its batch was sent',
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  });
  readonly coalesceWaiting = gauge({
    name: 'ingest_coalesce_waiting_requests',
    help: 'Requests waiting in the coalescing window now (none of them answered yet)',
  });
  private readonly depth = scrapedGauge({
    name: 'ingest_queue_messages',
    help: 'Approximate visible messages in the ingest queue (main) and its dead-letter queue (dlq), cached',
    labelNames: ['queue'] as const,
  });
  private stopCollecting?: () => void;
  private refreshedAt = 0;

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
    private readonly queues: IngestQueues,
  ) {}

  onModuleInit(): void {
    for (const stage of ['accepted', 'stored', 'duplicate', 'failed'] as const)
      this.messages.inc({ stage }, 0);
    this.stopCollecting = this.depth.collectWith(() => this.refreshDepth());
  }

  onApplicationShutdown(): void {
    this.stopCollecting?.();
  }

  count(stage: Stage, n: number): void {
    if (n > 0) this.messages.inc({ stage }, n);
  }

  /** At most once per INGEST_QUEUE_DEPTH_CACHE_MS; a failed refresh keeps the last values. */
  private async refreshDepth(): Promise<void> {
    if (Date.now() - this.refreshedAt < this.cfg.queueDepthCacheMs) return;
    this.refreshedAt = Date.now();
    const signal = AbortSignal.timeout(SCRAPE_BUDGET_MS);
    await Promise.all(
      (['main', 'dlq'] as const).map(async (queue) => {
        try {
          const ref = await (queue === 'main' ? this.queues.main(signal) : this.queues.dlq(signal));
          const out = await this.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: ref.url,
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
            { abortSignal: signal },
          );
          this.depth.gauge.set({ queue }, Number(out.Attributes?.ApproximateNumberOfMessages ?? 0));
        } catch {
          // SQS unreachable: the scrape still answers, with the last known depth.
        }
      }),
    );
  }
}
