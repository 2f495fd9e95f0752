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
export * from './task-events.config';
export * from './task-schemas.config';
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
import { taskEventsConfig } from './task-events.config';
import { taskSchemasConfig } from './task-schemas.config';
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
  taskEventsConfig,
  taskSchemasConfig,
  ingestConfig,
];

import { CounterEnv } from './counter.config';
import { EksEnv } from './eks.config';
import { Env } from './env.schema';
import { IngestEnv } from './ingest.config';
import { KubernetesEnv } from './kubernetes.config';
import { RateLimitEnv } from './rate-limit.config';
import { TasksEnv } from './tasks.config';
import { TaskEventsEnv } from './task-events.config';
import { TaskSchemasEnv } from './task-schemas.config';
/**
 * Every schema class of the environment: the one source of truth for variable names and defaults.
 * src/config/config-docs.spec.ts holds the README's tables and the chart against these.
 */
export const ENV_SCHEMAS: (new () => object)[] = [
  Env,
  RateLimitEnv,
  CounterEnv,
  TasksEnv,
  TaskEventsEnv,
  TaskSchemasEnv,
  IngestEnv,
  KubernetesEnv,
  EksEnv,
];
