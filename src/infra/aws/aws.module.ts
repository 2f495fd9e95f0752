import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { awsConfig, type AwsConfig } from '../../config';
import { DYNAMODB, DYNAMODB_DOC, SQS, SQS_LONG_POLL } from './aws.tokens';
import { AWS_MAX_ATTEMPTS, boundedHttpHandler } from './http-handler';

/** ReceiveMessage may wait up to 20 s by design; the long-poll client allows for that on top. */
const LONG_POLL_MAX_MS = 20_000;

/**
 * Region, credentials and endpoints come from the SDK's own chain (AWS_REGION, IRSA, Pod Identity,
 * AWS_ENDPOINT_URL_SQS / _DYNAMODB), so nothing here is AWS-account specific.
 */
const clientOptions = (cfg: AwsConfig, extraTimeoutMs = 0) => ({
  ...(cfg.region ? { region: cfg.region } : {}),
  maxAttempts: AWS_MAX_ATTEMPTS,
  // Also the handler of the STS client the credential chain builds for IRSA (it inherits the
  // parent client's requestHandler), so AssumeRoleWithWebIdentity is bounded too.
  requestHandler: boundedHttpHandler(cfg.requestTimeoutMs + extraTimeoutMs),
});

/** Requests go to the configured endpoint, not to the host inside a queue URL (proxies, VPC endpoints). */
const sqsOptions = (cfg: AwsConfig, extraTimeoutMs = 0) => ({
  ...clientOptions(cfg, extraTimeoutMs),
  useQueueUrlAsEndpoint: false,
});

/**
 * We never give the SDK a logger, yet its logger middleware builds a redacted copy of every input
 * and output for the default no-op one: CPU per call for nothing. (The document client shares
 * its client's stack.)
 */
function withoutLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(
  client: C,
): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: SQS,
      inject: [awsConfig.KEY],
      useFactory: (c: AwsConfig) => withoutLogging(new SQSClient(sqsOptions(c))),
    },
    {
      provide: SQS_LONG_POLL,
      inject: [awsConfig.KEY],
      useFactory: (c: AwsConfig) => withoutLogging(new SQSClient(sqsOptions(c, LONG_POLL_MAX_MS))),
    },
    {
      provide: DYNAMODB,
      inject: [awsConfig.KEY],
      useFactory: (c: AwsConfig) => withoutLogging(new DynamoDBClient(clientOptions(c))),
    },
    {
      provide: DYNAMODB_DOC,
      inject: [DYNAMODB],
      useFactory: (ddb: DynamoDBClient) =>
        DynamoDBDocumentClient.from(ddb, {
          // Numbers are JSON doubles when they reach us: store them as they are (beyond 2^53 the
          // SDK would throw before sending) and read them back as doubles (not BigInt, which
          // cannot be answered as JSON, nor an error for 1e20). A JSON object with a key named
          // `constructor` looks like a class instance to the SDK, which would refuse it for good
          // (the message would end in the dead-letter queue): store it as the map it is.
          marshallOptions: {
            removeUndefinedValues: true,
            allowImpreciseNumbers: true,
            convertClassInstanceToMap: true,
          },
          unmarshallOptions: { wrapNumbers: (n: string) => Number(n) },
        }),
    },
  ],
  exports: [SQS, SQS_LONG_POLL, DYNAMODB, DYNAMODB_DOC],
})
export class AwsModule implements OnApplicationShutdown {
  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(SQS_LONG_POLL) private readonly sqsLongPoll: SQSClient,
    @Inject(DYNAMODB) private readonly ddb: DynamoDBClient,
  ) {}

  onApplicationShutdown(): void {
    this.sqs.destroy();
    this.sqsLongPoll.destroy();
    this.ddb.destroy();
  }
}
