import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig, ingestConfig, type AppConfig, type IngestConfig } from '../../config';
import { SQS } from '../../infra/aws';

/** The ingest queue and its dead-letter queue exist and answer. */
@Injectable()
export class SqsHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly ingest: IngestConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  check() {
    return this.health
      .check('sqs')
      .attempt(async ({ signal }) => {
        await Promise.all(
          [this.ingest.queueName, this.ingest.dlqName].map((QueueName) =>
            this.sqs.send(new GetQueueUrlCommand({ QueueName }), { abortSignal: signal }),
          ),
        );
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
