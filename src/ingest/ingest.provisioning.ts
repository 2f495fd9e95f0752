import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ingestConfig, type IngestConfig } from '../config';
import { DYNAMODB, SQS } from '../infra/aws';
import { provisionIngest } from './ingest.provisioner';

/** INGEST_AUTO_PROVISION=true: queue, DLQ and table exist before consumers start (or start fails). */
@Injectable()
export class IngestProvisioning implements OnModuleInit {
  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(DYNAMODB) private readonly ddb: DynamoDBClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.cfg.enabled || !this.cfg.autoProvision) return;
    await provisionIngest(this.sqs, this.ddb, this.cfg);
    new Logger('Ingest').log(
      `provisioned ${this.cfg.queueName}, ${this.cfg.dlqName} and table ${this.cfg.tableName}`,
    );
  }
}
