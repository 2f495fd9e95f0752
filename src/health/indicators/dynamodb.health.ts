import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig, awsConfig, type AppConfig, type AwsConfig } from '../../config';
import { DYNAMODB } from '../../infra/aws';

/** The ingest table exists and is ACTIVE. */
@Injectable()
export class DynamoDbHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(DYNAMODB) private readonly ddb: DynamoDBClient,
    @Inject(awsConfig.KEY) private readonly aws: AwsConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  check() {
    return this.health
      .check('dynamodb')
      .attempt(async ({ signal }) => {
        const out = await this.ddb.send(new DescribeTableCommand({ TableName: this.aws.tableName }), {
          abortSignal: signal,
        });
        if (out.Table?.TableStatus !== 'ACTIVE') throw new Error(`table is ${out.Table?.TableStatus}`);
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
