import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './app';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** Queue, DLQ and table names of this suite's own, so suites running in parallel do not share messages. */
export function ingestNames(label: string): Record<string, string> {
  const tag = `${label}-${randomBytes(3).toString('hex')}`;
  return {
    INGEST_QUEUE_NAME: `t-${tag}`,
    INGEST_DLQ_NAME: `t-${tag}-dlq`,
    INGEST_TABLE_NAME: `t-${tag}`,
  };
}

/** SDK clients straight to the shared emulators (not through any proxy a suite puts in front). */
export function directClients() {
  const opts = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const sqs = new SQSClient({ ...opts, endpoint: process.env.AWS_ENDPOINT_URL_SQS });
  const ddb = new DynamoDBClient({ ...opts, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  const doc = DynamoDBDocumentClient.from(ddb);
  return {
    sqs,
    doc,
    queueUrl: async (QueueName: string) =>
      (await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl!,
    async scan(TableName: string): Promise<Array<Record<string, unknown>>> {
      const items: Array<Record<string, unknown>> = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(new ScanCommand({ TableName, ExclusiveStartKey }));
        items.push(...(out.Items ?? []));
        ExclusiveStartKey = out.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    async count(TableName: string): Promise<number> {
      let total = 0;
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new ScanCommand({ TableName, Select: 'COUNT', ExclusiveStartKey }),
        );
        total += out.Count ?? 0;
        ExclusiveStartKey = out.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return total;
    },
    destroy() {
      sqs.destroy();
      ddb.destroy();
    },
  };
}

/** Polls until `check` returns a truthy value, or fails with the last value seen. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const portOf = (url: string | undefined): number => Number(new URL(url ?? '').port);

/** Fast consumer settings for tests: short long-polls, so a trickle and shutdowns take ~1 s. */
export const FAST_CONSUMER = { INGEST_WAIT_TIME_SECONDS: '1', INGEST_CONSUMERS: '4' };

/**
 * The emulators share the Jest process with every suite's load on a 2-core machine: a send budget
 * that a loaded emulator can meet (the 1 s default is for a real SQS; the outage suite keeps it).
 */
export const LOADED_EMULATOR = { INGEST_SEND_DEADLINE_MS: '5000' };

/** The app with SQS and DynamoDB behind TCP proxies a suite can cut (the shared emulators keep running). */
export interface ProxiedIngest {
  sqs: TcpProxy;
  ddb: TcpProxy;
  app: NestFastifyApplication;
  /** Resumes both proxies, closes the app, then the proxies. */
  close(): Promise<void>;
}

/**
 * The shared set-up of the ingest fault suites: both proxies, the app pointed at them with a 1 s
 * long-poll, and `env` (consumers, visibility, deadlines) on top.
 */
export async function startProxiedIngest(env: Record<string, string>): Promise<ProxiedIngest> {
  const [sqs, ddb] = await Promise.all([
    startTcpProxy(portOf(process.env.AWS_ENDPOINT_URL_SQS)),
    startTcpProxy(portOf(process.env.AWS_ENDPOINT_URL_DYNAMODB)),
  ]);
  const app = await bootApp({
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.url,
    INGEST_WAIT_TIME_SECONDS: '1',
    ...env,
  });
  return {
    sqs,
    ddb,
    app,
    async close() {
      sqs.resume();
      ddb.resume();
      await app.close();
      await Promise.all([sqs.close(), ddb.close()]);
    },
  };
}
