import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { redisConfig, type RedisConfig } from '../../config';
import { REDIS, withCommandDeadline } from '../../infra/redis';

// Fixed window: one atomic INCR + PEXPIRE on first hit; answers hits and the window's remaining ms.
const SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { hits, redis.call('PTTL', KEYS[1]) }`;

/**
 * Throttler storage in Redis so limits hold across replicas. (@nest-lab/throttler-storage-redis,
 * the usual choice, declares Nest ≤ 11 only.) A hit waits for Redis at most
 * REDIS_COMMAND_TIMEOUT_MS from the call (not from the write: with auto-pipelining it would first
 * wait for the pipeline ahead of it); past it the guard fails open (or closed for
 * RATE_LIMIT_FAIL_CLOSED groups), as when Redis is down.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(redisConfig.KEY) private readonly cfg: RedisConfig,
  ) {
    if (!('rateLimitHit' in redis))
      redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: SCRIPT });
  }

  async increment(key: string, ttl: number, limit: number) {
    const run = (
      this.redis as unknown as { rateLimitHit(k: string, ms: number): Promise<[number, number]> }
    ).rateLimitHit;
    const [hits, pttl] = await withCommandDeadline(
      run.call(this.redis, `${this.cfg.keyPrefix}rl:${key}`, ttl),
      this.cfg.commandTimeoutMs,
    );
    const seconds = Math.max(1, Math.ceil((pttl > 0 ? pttl : ttl) / 1000));
    return {
      totalHits: hits,
      timeToExpire: seconds,
      isBlocked: hits > limit,
      timeToBlockExpire: hits > limit ? seconds : 0,
    };
  }
}
