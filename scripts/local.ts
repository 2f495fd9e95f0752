/**
 * `npm run local`: the embedded stack plus the built app, in one command, nothing running
 * beforehand. Ctrl-C or SIGTERM stops everything it started.
 *
 * The dev key and the data (Redis, DynamoDB) are kept in `.local/` (git-ignored), so a restart
 * finds the same key, counters, tasks and messages. `-- --fresh` empties `.local/` first;
 * `-- --ephemeral` keeps nothing (a throwaway stack, as the tests use).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { newDevKey, startStack } from './stack/index.ts';

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
  if (args.includes('--fresh')) rmSync(LOCAL_DIR, { recursive: true, force: true });
  if (persist) mkdirSync(LOCAL_DIR, { recursive: true });
  const stack = await startStack(persist ? { dataDir: LOCAL_DIR } : {});
  const apiKey = process.env.API_KEYS ? undefined : devKey(persist);
  const port = process.env.PORT ?? '3000';
  const kubeconfig = process.env.KUBECONFIG ?? join(homedir(), '.kube', 'config');
  const env = {
    ...process.env,
    ...stack.env,
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
      persist
        ? `  Data:      dev key, Redis and DynamoDB kept in .local/ across restarts (git-ignored); \`npm run local -- --fresh\` starts empty, \`-- --ephemeral\` keeps nothing`
        : '  Data:      ephemeral (--ephemeral): nothing is kept after Ctrl-C',
      `  Queue UI:  ${base}/admin/queues  (user name: anything, e.g. admin; password: the API key)`,
      `  Swagger:   ${base}/docs`,
      `  Ready:     ${base}/health/ready`,
      `  Metrics:   ${base}/metrics`,
      `  Redis:     ${stack.redis.url}   SQS: ${stack.sqs.url}   DynamoDB: ${stack.dynamo.url}`,
      `  Kubernetes: ${env.K8S_AUTH}${env.K8S_AUTH === 'disabled' ? ' (eks routes answer 503; set K8S_AUTH=kubeconfig with KUBECONFIG, or K8S_AUTH=eks, to use a cluster)' : ''}`,
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
    await stack.stop();
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
