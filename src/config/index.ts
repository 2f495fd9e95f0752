export * from './env.schema';
export * from './load-env';
export * from './app.config';
export * from './auth.config';
export * from './redis.config';
export * from './aws.config';
export * from './kubernetes.config';
export * from './rate-limit.config';
export * from './counter.config';
export * from './eks.config';
export * from './tasks.config';
export * from './ingest.config';

import { appConfig } from './app.config';
import { authConfig } from './auth.config';
import { awsConfig } from './aws.config';
import { counterConfig } from './counter.config';
import { eksConfig } from './eks.config';
import { ingestConfig } from './ingest.config';
import { kubernetesConfig } from './kubernetes.config';
import { rateLimitConfig } from './rate-limit.config';
import { redisConfig } from './redis.config';
import { tasksConfig } from './tasks.config';
export const allConfigs = [
  appConfig,
  authConfig,
  redisConfig,
  awsConfig,
  kubernetesConfig,
  rateLimitConfig,
  counterConfig,
  eksConfig,
  tasksConfig,
  ingestConfig,
];
