/**
 * `npm run local`: the embedded stack plus the built app, in one command, nothing running
 * beforehand. Ctrl-C or SIGTERM stops everything it started.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { newDevKey, startStack } from './stack/index.ts';
import { startRedisCluster, type RedisClusterProcess } from './stack/redis-cluster.ts';

async function main(): Promise<void> {
  const stack = await startStack();
  // `npm run local -- --redis-cluster`: also a real 6-node Redis Cluster, and the app in cluster mode.
  const cluster: RedisClusterProcess | undefined = process.argv.includes('--redis-cluster')
    ? await startRedisCluster().catch(async (e: unknown) => {
        await stack.stop();
        throw e;
      })
    : undefined;
  const apiKey = process.env.API_KEYS ? undefined : newDevKey();
  const port = process.env.PORT ?? '3000';
  const kubeconfig = process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
  const env = {
    ...process.env,
    ...stack.env,
    ...(cluster ? { REDIS_MODE: 'cluster', REDIS_URL: cluster.url } : {}),
    NODE_ENV: 'development',
    PORT: port,
    HOST: process.env.HOST ?? '127.0.0.1',
    SHUTDOWN_DELAY_MS: process.env.SHUTDOWN_DELAY_MS ?? '0',
    ...(apiKey ? { API_KEYS: apiKey } : {}),
    K8S_AUTH: process.env.K8S_AUTH ?? (existsSync(kubeconfig) ? 'kubeconfig' : 'disabled'),
  };
  const app = spawn(process.execPath, ['dist/main.js'], { env, stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  console.log(
    [
      '',
      `platform-api (local) starting on ${base}`,
      `  API key:   ${apiKey ?? '(from API_KEYS)'}`,
      `  Swagger:   ${base}/docs`,
      `  Ready:     ${base}/health/ready`,
      `  Metrics:   ${base}/metrics`,
      `  Redis:     ${cluster ? `cluster ${cluster.seeds}` : stack.redis.url}   SQS: ${stack.sqs.url}   DynamoDB: ${stack.dynamo.url}`,
      `  Kubernetes: ${env.K8S_AUTH}${env.K8S_AUTH === 'disabled' ? ' (eks routes answer 503; set KUBECONFIG to use a cluster)' : ''}`,
      `  try: curl -H 'X-API-Key: ${apiKey ?? '<your key>'}' ${base}/v1/counters/demo`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app.once('exit', r));
    }
    await Promise.all([stack.stop(), cluster?.stop()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  app.on('exit', (code) => void stop(code ?? 1));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
