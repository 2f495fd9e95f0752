import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { redisConfig, type RedisConfig } from '../../config';
import { BULLMQ_PRODUCER, bullProducerConnection } from './bullmq.connection';
import { closeRedis, waitReady } from './redis.factory';

/** The shared BullMQ producer connection; closed after the queues that use it (they do not own it). */
@Module({
  providers: [
    {
      provide: BULLMQ_PRODUCER,
      inject: [redisConfig.KEY],
      useFactory: (cfg: RedisConfig) => bullProducerConnection(cfg),
    },
  ],
  exports: [BULLMQ_PRODUCER],
})
export class BullMqConnectionModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(BULLMQ_PRODUCER) private readonly redis: Redis) {}

  /** Like the shared client: start connected when Redis is there, start anyway (503s) when it is not. */
  onModuleInit(): Promise<void> {
    return waitReady(this.redis, 2000);
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.redis);
  }
}
