import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig, ingestConfig, type AppConfig, type IngestConfig } from '../../config';
import { DYNAMODB } from '../../infra/aws';

/** The ingest table exists and is ACTIVE. */
@Injectable()
export class DynamoDbHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(DYNAMODB) private readonly ddb: DynamoDBClient,
    @Inject(ingestConfig.KEY) private readonly ingest: IngestConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  check() {
    return this.health
      .check('dynamodb')
      .attempt(async ({ signal }) => {
        const out = await this.ddb.send(
          new DescribeTableCommand({ TableName: this.ingest.tableName }),
          {
            abortSignal: signal,
          },
        );
        if (out.Table?.TableStatus !== 'ACTIVE')
          throw new Error(`table is ${out.Table?.TableStatus}`);
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
