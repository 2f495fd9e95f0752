import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { awsConfig, type AwsConfig } from '../../config';
import { DYNAMODB, DYNAMODB_DOC, SQS } from './aws.tokens';

/**
 * Region, credentials and endpoints come from the SDK's own chain (AWS_REGION, IRSA, Pod Identity,
 * AWS_ENDPOINT_URL_SQS / _DYNAMODB), so nothing here is AWS-account specific.
 */
const clientOptions = (cfg: AwsConfig) => ({
  ...(cfg.region ? { region: cfg.region } : {}),
  maxAttempts: 2,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: cfg.requestTimeoutMs }),
});

@Global()
@Module({
  providers: [
    { provide: SQS, inject: [awsConfig.KEY], useFactory: (c: AwsConfig) => new SQSClient(clientOptions(c)) },
    { provide: DYNAMODB, inject: [awsConfig.KEY], useFactory: (c: AwsConfig) => new DynamoDBClient(clientOptions(c)) },
    {
      provide: DYNAMODB_DOC,
      inject: [DYNAMODB],
      useFactory: (ddb: DynamoDBClient) =>
        DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    },
  ],
  exports: [SQS, DYNAMODB, DYNAMODB_DOC],
})
export class AwsModule implements OnApplicationShutdown {
  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(DYNAMODB) private readonly ddb: DynamoDBClient,
  ) {}

  onApplicationShutdown(): void {
    this.sqs.destroy();
    this.ddb.destroy();
  }
}
