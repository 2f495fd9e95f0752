import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { rateLimitConfig, redisConfig, type RateLimitConfig, type RedisConfig } from '../../config';
import { REDIS } from '../../infra/redis';
import { RATE_LIMIT_MESSAGE } from './rate-limiter';
import { RedisThrottlerStorage } from './redis-throttler.storage';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [REDIS, redisConfig.KEY, rateLimitConfig.KEY],
      useFactory: (redis: Redis, redisCfg: RedisConfig, cfg: RateLimitConfig) => ({
        // Limits and windows are resolved per request by RateLimiter from RATE_LIMITS.
        throttlers: [{ name: 'default', ttl: cfg.windowMs, limit: cfg.limits.default }],
        storage: new RedisThrottlerStorage(redis, redisCfg),
        errorMessage: RATE_LIMIT_MESSAGE,
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class RateLimitModule {}
