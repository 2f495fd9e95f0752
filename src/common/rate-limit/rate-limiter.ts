import { Inject, Injectable, Logger } from '@nestjs/common';
import { getStorageToken, ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { rateLimitConfig, type RateLimitConfig } from '../../config';
import { appError } from '../errors/error-codes';

export const RATE_LIMIT_MESSAGE =
  'Rate limit exceeded: retry after the number of seconds in Retry-After';

/** A hit that passed: what the RateLimit-* headers say. */
export interface RateLimitPass {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  reset: number;
}

/** A hit over the limit: answer 429 with Retry-After. */
export interface RateLimitBlock {
  blocked: RateLimitPass & { retryAfter: number };
}

/**
 * Limits per API key (by digest id, never the key) and route group; requests without a valid key
 * are limited per client IP under `anonymous`, before authentication, so key guessing is slowed
 * too (RequestGate calls this before the key check). Redis down: the groups in
 * RATE_LIMIT_FAIL_CLOSED answer 503, the others pass (the feature then decides for itself).
 */
@Injectable()
export class RateLimiter {
  private readonly log = new Logger('RateLimit');

  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    @Inject(rateLimitConfig.KEY) private readonly cfg: RateLimitConfig,
  ) {}

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /**
   * Counts one request of `tracker` (`k:<key id>` or `ip:<address>`) in `group`. Resolves the
   * headers to send, `{ blocked }` over the limit, or undefined when Redis failed and the group
   * fails open; rejects with 503 when it fails closed.
   */
  async hit(group: string, tracker: string): Promise<RateLimitPass | RateLimitBlock | undefined> {
    const limit = this.cfg.limits[group] ?? this.cfg.limits.default;
    const ttl = this.cfg.windowMs;
    let hit: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      hit = await this.storage.increment(`${group}:${tracker}`, ttl, limit, ttl, 'default');
    } catch (e) {
      if (this.cfg.failClosed.has(group))
        throw appError(503, 'DEPENDENCY_UNAVAILABLE', 'Rate limiter unavailable, retry later');
      this.log.warn(`rate limiter unavailable, letting ${group} through: ${(e as Error).message}`);
      return undefined;
    }
    const pass = {
      limit,
      remaining: Math.max(0, limit - hit.totalHits),
      reset: hit.timeToExpire,
    };
    return hit.isBlocked ? { blocked: { ...pass, retryAfter: hit.timeToBlockExpire } } : pass;
  }
}

/** The 429 of a request over its limit. */
export const tooManyRequests = (): ThrottlerException => new ThrottlerException(RATE_LIMIT_MESSAGE);
