import { registerAs } from '@nestjs/config';
import { ConfigError } from './env.schema';
import { loadEnv } from './load-env';

export const appConfig = registerAs('app', () => {
  const e = loadEnv();
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT)
    throw new ConfigError(
      'Invalid configuration: METRICS_PORT must differ from PORT (0 serves /metrics on PORT)',
    );
  return {
    env: e.NODE_ENV,
    role: e.APP_ROLE,
    port: e.PORT,
    host: e.HOST,
    /** 0: /metrics is a route of the app on PORT; otherwise only a listener on this port serves it. */
    metricsPort: e.METRICS_PORT,
    docsEnabled: e.DOCS_ENABLED,
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
