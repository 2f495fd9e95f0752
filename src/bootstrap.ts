import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, preflightConfig } from './app.setup';
import { ShutdownState } from './common/lifecycle/shutdown.state';
import { trimHeapWhenIdle } from './common/lifecycle/trim-heap';
import { ConfigError, loadEnv } from './config';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SIGTERM/SIGINT: fail readiness at once, keep serving for SHUTDOWN_DELAY_MS while Kubernetes
 * removes the pod from its endpoints, then close (workers finish, clients close), then exit.
 */
function drainOnSignal(app: NestFastifyApplication, delayMs: number, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  const onSignal = async (signal: string) => {
    logger.log(`${signal}: draining for ${delayMs} ms, then closing`);
    app.get(ShutdownState).beginDrain();
    setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    await sleep(delayMs);
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

async function main(): Promise<void> {
  preflightConfig();
  const env = loadEnv();
  const app = await createApp();
  await app.listen({ port: env.PORT, host: env.HOST });
  drainOnSignal(app, env.SHUTDOWN_DELAY_MS, env.SHUTDOWN_TIMEOUT_MS);
  trimHeapWhenIdle();
  new Logger('Bootstrap').log(`listening on ${await app.getUrl()} as role ${env.APP_ROLE}`);
}

main().catch((err: unknown) => {
  // A configuration error is one line naming the variable; anything else keeps its stack.
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
