import { registerAs } from '@nestjs/config';
import { loadEnv } from './load-env';

/** Region, credentials and endpoints follow the SDK's own env conventions; only names live here. */
export const awsConfig = registerAs('aws', () => {
  const e = loadEnv();
  return {
    region: e.AWS_REGION,
    requestTimeoutMs: e.AWS_REQUEST_TIMEOUT_MS,
  };
});
export type AwsConfig = ReturnType<typeof awsConfig>;
