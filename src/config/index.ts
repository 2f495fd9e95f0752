export * from './env.schema';
export * from './load-env';
export * from './app.config';
export * from './auth.config';
export * from './redis.config';
export * from './aws.config';
export * from './kubernetes.config';
export * from './ingest.config';

import { appConfig } from './app.config';
import { authConfig } from './auth.config';
import { awsConfig } from './aws.config';
import { ingestConfig } from './ingest.config';
import { kubernetesConfig } from './kubernetes.config';
import { redisConfig } from './redis.config';
export const allConfigs = [appConfig, authConfig, redisConfig, awsConfig, kubernetesConfig, ingestConfig];
