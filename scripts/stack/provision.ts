import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface ProvisionOptions {
  sqsUrl: string;
  dynamoUrl: string;
  region: string;
  queueName: string;
  dlqName: string;
  tableName: string;
  maxReceiveCount: number;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Creates the ingest queue, its dead-letter queue (redrive policy) and the table on the emulators. */
export async function provisionLocalAws(o: ProvisionOptions): Promise<void> {
  const sqs = new SQSClient({ region: o.region, endpoint: o.sqsUrl, credentials });
  const ddb = new DynamoDBClient({ region: o.region, endpoint: o.dynamoUrl, credentials });
  try {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: o.dlqName }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sqs.send(
      new CreateQueueCommand({
        QueueName: o.queueName,
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes?.QueueArn,
            maxReceiveCount: o.maxReceiveCount,
          }),
        },
      }),
    );
    const exists = await ddb.send(new DescribeTableCommand({ TableName: o.tableName })).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await ddb.send(
        new CreateTableCommand({
          TableName: o.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
    }
  } finally {
    sqs.destroy();
    ddb.destroy();
  }
}
