import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig, awsConfig, type AppConfig, type AwsConfig } from '../../config';
import { SQS } from '../../infra/aws';

/** The ingest queue exists and answers. */
@Injectable()
export class SqsHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(awsConfig.KEY) private readonly aws: AwsConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  check() {
    return this.health
      .check('sqs')
      .attempt(async ({ signal }) => {
        await this.sqs.send(new GetQueueUrlCommand({ QueueName: this.aws.queueName }), { abortSignal: signal });
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
