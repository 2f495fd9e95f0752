import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProvisionTarget {
  queueName: string;
  dlqName: string;
  tableName: string;
  maxReceiveCount: number;
}

const TABLE_ACTIVE_WAIT_MS = 10_000;

/**
 * Creates the DLQ, the main queue with its redrive policy, and the table when missing; leaves
 * what exists (only the redrive policy is set again). Used by the app under INGEST_AUTO_PROVISION;
 * in production infrastructure code owns these and this never runs.
 */
export async function provisionIngest(
  sqs: SQSClient,
  ddb: DynamoDBClient,
  t: ProvisionTarget,
): Promise<void> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: t.dlqName }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const RedrivePolicy = JSON.stringify({
    deadLetterTargetArn: Attributes?.QueueArn,
    maxReceiveCount: t.maxReceiveCount,
  });
  try {
    await sqs.send(
      new CreateQueueCommand({ QueueName: t.queueName, Attributes: { RedrivePolicy } }),
    );
  } catch (err) {
    if (!(err instanceof QueueNameExists) && (err as Error).name !== 'QueueAlreadyExists')
      throw err;
    // It exists with other attributes: bring the redrive policy in line, keep the rest.
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: t.queueName }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy } }));
  }
  await ensureTable(ddb, t.tableName);
}

async function ensureTable(ddb: DynamoDBClient, TableName: string): Promise<void> {
  const status = () =>
    ddb.send(new DescribeTableCommand({ TableName })).then(
      (o) => o.Table?.TableStatus,
      (err: unknown) => {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw err;
      },
    );
  if ((await status()) === undefined) {
    await ddb
      .send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      )
      .catch((err: unknown) => {
        // Another replica (or test app) created it first.
        if ((err as Error).name !== 'ResourceInUseException') throw err;
      });
  }
  const deadline = Date.now() + TABLE_ACTIVE_WAIT_MS;
  while ((await status()) !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`table ${TableName} did not become ACTIVE`);
    await sleep(50);
  }
}
