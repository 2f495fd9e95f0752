import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.setup';

export const TEST_KEY = 'test-key-0123456789abcdef';
export const OTHER_KEY = 'test-key-rotated-0123456789';

/**
 * Boots the real app in-process against the embedded stack, with env overrides applied only
 * while it builds (config is read at start). Requests go through Fastify's inject: no port.
 */
export async function bootApp(
  overrides: Record<string, string | undefined> = {},
): Promise<NestFastifyApplication> {
  const saved = { ...process.env };
  Object.assign(process.env, { API_KEYS: `${TEST_KEY},${OTHER_KEY}`, ...overrides });
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete process.env[k];
  try {
    const app = await createApp();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    process.env = saved;
  }
}

export const auth = { 'x-api-key': TEST_KEY };
