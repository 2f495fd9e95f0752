import { registerAs } from '@nestjs/config';
import { loadEnv } from './load-env';

export const redisConfig = registerAs('redis', () => {
  const e = loadEnv();
  return {
    url: e.REDIS_URL,
    keyPrefix: e.REDIS_KEY_PREFIX,
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
  };
});
export type RedisConfig = ReturnType<typeof redisConfig>;
