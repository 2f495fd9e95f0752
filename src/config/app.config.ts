import { registerAs } from '@nestjs/config';
import { loadEnv } from './load-env';

export const appConfig = registerAs('app', () => {
  const e = loadEnv();
  return {
    env: e.NODE_ENV,
    role: e.APP_ROLE,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    logRequests: e.LOG_REQUESTS,
    bodyLimit: e.BODY_LIMIT_BYTES,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    healthTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    /** `api` and `all` serve the REST API; `worker` and `all` run consumers. */
    servesApi: e.APP_ROLE !== 'worker',
    runsWorkers: e.APP_ROLE !== 'api',
  };
});
export type AppConfig = ReturnType<typeof appConfig>;
