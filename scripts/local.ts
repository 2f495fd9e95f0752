/**
 * `npm run local`: the embedded stack plus the built app, in one command, nothing running
 * beforehand. `npm run local -- --kube` also starts a local Kubernetes control plane (built once
 * from the Go module proxy, see scripts/kube/build.sh) and points the app at it. Ctrl-C or
 * SIGTERM stops everything it started.
 *
 * The dev key and the data (Redis, DynamoDB) are kept in `.local/` (git-ignored), so a restart
 * finds the same key, counters, tasks and messages. `-- --fresh` empties `.local/` first;
 * `-- --ephemeral` keeps nothing (a throwaway stack, as the tests use).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildKube,
  kubeBuilt,
  newDevKey,
  startKube,
  startStack,
  type KubeCluster,
} from './stack/index.ts';
import { startRedisCluster, type RedisClusterProcess } from './stack/redis-cluster.ts';

/** Builds (first run only, with progress) and starts the local control plane. */
async function startLocalKube(): Promise<KubeCluster> {
  const t0 = Date.now();
  if (!kubeBuilt()) {
    console.log(
      [
        'Building the local Kubernetes control plane (kube-apiserver, controller-manager, scheduler,',
        'etcd, kwok) from the Go module proxy. First run only: about 12-15 minutes on 2 idle cores,',
        'longer on a busy machine; later runs start in seconds. Needs Go (any recent version).',
      ].join('\n'),
    );
  }
  const bin = await buildKube({
    onProgress: (line) => console.log(`  [${Math.round((Date.now() - t0) / 1000)}s] ${line}`),
  });
  console.log('Starting the local Kubernetes control plane...');
  return startKube(bin);
}

// npm runs scripts from the project root.
const LOCAL_DIR = resolve(process.cwd(), '.local');

/** The dev key of `.local/dev-key`, made once; a new one each start with --ephemeral. */
function devKey(persist: boolean): string {
  if (!persist) return newDevKey();
  const file = join(LOCAL_DIR, 'dev-key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  }
  const key = newDevKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const persist = !args.includes('--ephemeral');
  const withKube = args.includes('--kube');
  if (args.includes('--fresh')) rmSync(LOCAL_DIR, { recursive: true, force: true });
  if (persist) mkdirSync(LOCAL_DIR, { recursive: true });
  const started = await Promise.allSettled([
    startStack(persist ? { dataDir: LOCAL_DIR } : {}),
    withKube ? startLocalKube() : Promise.resolve(undefined),
  ]);
  const [stackResult, kubeResult] = started;
  if (stackResult.status === 'rejected' || kubeResult.status === 'rejected') {
    // Stop whatever did start before reporting what did not.
    if (stackResult.status === 'fulfilled') await stackResult.value.stop();
    if (kubeResult.status === 'fulfilled') await kubeResult.value?.stop();
    throw stackResult.status === 'rejected'
      ? stackResult.reason
      : (kubeResult as PromiseRejectedResult).reason;
  }
  const stack = stackResult.value;
  const kube = kubeResult.value;
  // `npm run local -- --redis-cluster`: also a real 6-node Redis Cluster, and the app in cluster mode.
  const redisCluster: RedisClusterProcess | undefined = args.includes('--redis-cluster')
    ? await startRedisCluster().catch(async (e: unknown) => {
        await Promise.allSettled([stack.stop(), kube?.stop()]);
        throw e;
      })
    : undefined;
  const apiKey = process.env.API_KEYS ? undefined : devKey(persist);
  const port = process.env.PORT ?? '3000';
  const kubeconfig = process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
  const env = {
    ...process.env,
    ...stack.env,
    ...(redisCluster ? { REDIS_MODE: 'cluster', REDIS_URL: redisCluster.url } : {}),
    NODE_ENV: 'development',
    PORT: port,
    HOST: process.env.HOST ?? '127.0.0.1',
    SHUTDOWN_DELAY_MS: process.env.SHUTDOWN_DELAY_MS ?? '0',
    ...(apiKey ? { API_KEYS: apiKey } : {}),
    K8S_AUTH: process.env.K8S_AUTH ?? (existsSync(kubeconfig) ? 'kubeconfig' : 'disabled'),
    // --kube: the local control plane, whatever else is configured.
    ...(kube ? kube.env : {}),
  };
  const app = spawn(process.execPath, ['dist/main.js'], { env, stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  console.log(
    [
      '',
      `platform-api (local) starting on ${base}`,
      `  API key:   ${apiKey ?? '(from API_KEYS)'}`,
      persist
        ? `  Data:      dev key, Redis and DynamoDB kept in .local/ across restarts (git-ignored); \`npm run local -- --fresh\` starts empty, \`-- --ephemeral\` keeps nothing`
        : '  Data:      ephemeral (--ephemeral): nothing is kept after Ctrl-C',
      `  Queue UI:  ${base}/admin/queues  (user name: anything, e.g. admin; password: the API key)`,
      `  Swagger:   ${base}/docs`,
      `  Ready:     ${base}/health/ready`,
      `  Metrics:   ${base}/metrics`,
      `  Redis:     ${redisCluster ? `cluster ${redisCluster.seeds}` : stack.redis.url}   SQS: ${stack.sqs.url}   DynamoDB: ${stack.dynamo.url}`,
      `  Kubernetes: ${env.K8S_AUTH}${env.K8S_AUTH === 'disabled' ? ' (eks routes answer 503; set K8S_AUTH=kubeconfig with KUBECONFIG, or K8S_AUTH=eks, to use a cluster, or run npm run local -- --kube)' : ''}`,
      `  try: curl -H 'X-API-Key: ${apiKey ?? '<your key>'}' ${base}/v1/counters/demo`,
      ...(kube
        ? [
            `  Kubernetes API: ${kube.server} (local control plane, one KWOK node; pods run simulated)`,
            `  try: curl -H 'X-API-Key: ${apiKey ?? '<your key>'}' -H 'content-type: application/json' \\`,
            `         -d '{"name":"demo"}' ${base}/v1/namespaces`,
            '  kubectl and helm on it: paste the next line into a shell',
            `KUBECONFIG=${kube.kubeconfig}`,
          ]
        : []),
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
    await Promise.allSettled([stack.stop(), kube?.stop(), redisCluster?.stop()]);
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
