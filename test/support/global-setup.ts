import { startStack, type Stack } from '../../scripts/stack/index.ts';

/**
 * Starts the embedded stack once for every e2e suite (the same launcher as `npm run local`).
 * Workers inherit process.env, so suites find it through the usual variables.
 */
export default async function globalSetup(): Promise<void> {
  const stack = await startStack();
  Object.assign(process.env, stack.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_DELAY_MS: '0',
    // Suites share one Redis and 127.0.0.1; the rate-limit suite sets its own limits on its own Redis.
    RATE_LIMITS: 'default=1000000,anonymous=1000000',
  });
  (globalThis as { __STACK__?: Stack }).__STACK__ = stack;
}
