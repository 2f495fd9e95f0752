import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDynamo, startSqs, type Emulator } from './aws.ts';
import { startRedis, type RedisProcess } from './redis.ts';

export {
  startRedis,
  findRedisServer,
  REDIS_MISSING,
  waitForPort,
  type RedisProcess,
} from './redis.ts';
export { startSqs, startDynamo, type Emulator } from './aws.ts';
export { freePort } from './ports.ts';

export interface Stack {
  redis: RedisProcess;
  sqs: Emulator;
  dynamo: Emulator;
  /** What the app needs to talk to this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const newDevKey = () => `dev-${randomBytes(18).toString('base64url')}`;

/**
 * The embedded stack: a real redis-server, local-aws-sqs and dynalite on free loopback ports.
 * `npm run local` and Jest use it. The app itself creates the ingest queue, dead-letter queue and
 * table at start (INGEST_AUTO_PROVISION=true), so there is one provisioning implementation.
 */
export async function startStack(opts: { dataDir?: string } = {}): Promise<Stack> {
  // With dataDir (npm run local): Redis (append-only file) and DynamoDB (LevelDB) keep their
  // data there across restarts. SQS stays in memory: the consumer empties it within seconds.
  const dir = (name: string) => {
    if (!opts.dataDir) return undefined;
    const d = join(opts.dataDir, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const [redis, sqs, dynamo] = await Promise.all([
    startRedis(undefined, { dataDir: dir('redis') }),
    startSqs(),
    startDynamo(undefined, { dataDir: dir('dynamodb') }),
  ]);
  const env = {
    REDIS_URL: redis.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    INGEST_QUEUE_NAME: 'platform-ingest',
    INGEST_DLQ_NAME: 'platform-ingest-dlq',
    INGEST_TABLE_NAME: 'platform-ingest',
    INGEST_AUTO_PROVISION: 'true',
    // local-aws-sqs holds a 10-message receive until it has 10 or the wait ends (real SQS answers
    // at once): a short long-poll keeps a lone message from waiting 20 s to be stored.
    INGEST_WAIT_TIME_SECONDS: '1',
  };
  const stop = async () => {
    await Promise.allSettled([redis.stop(), sqs.stop(), dynamo.stop()]);
  };
  return { redis, sqs, dynamo, env, stop };
}
export {
  buildKube,
  kubeBuilt,
  kubeRequester,
  startKube,
  KWOK_LOG_LINES,
  KWOK_NODE,
  KWOK_OUTCOME_LABEL,
  type KubeCluster,
  type KubeResponse,
} from './kube.ts';
