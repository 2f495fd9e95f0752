import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { appConfig, type AppConfig } from '../../config';
import { REDIS } from '../../infra/redis';

@Injectable()
export class RedisHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  check() {
    return this.health
      .check('redis')
      .attempt(async () => {
        await this.redis.ping();
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
