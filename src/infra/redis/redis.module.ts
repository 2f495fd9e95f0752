import {
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { redisConfig, type RedisConfig } from '../../config';
import { closeRedis, createRedisClient, waitReady } from './redis.factory';
import { REDIS } from './redis.tokens';

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: (cfg: RedisConfig) => {
        const redis = createRedisClient(cfg);
        redis.on('error', () => undefined); // state is reported by /health/ready, not by log floods
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  onModuleInit(): Promise<void> {
    return waitReady(this.redis, 2000);
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.redis);
  }
}
