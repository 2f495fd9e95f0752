import {
  createParamDecorator,
  Inject,
  Injectable,
  Logger,
  type ExecutionContext,
} from '@nestjs/common';
import { getStorageToken, ThrottlerException, type ThrottlerStorage } from '@nestjs/throttler';
import { rateLimitConfig, redisConfig, type RateLimitConfig, type RedisConfig } from '../../config';
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
 * A rate-limit hit a handler counts in its own Redis script (see @FusedRateLimit): the bucket's
 * key, its limit and window; `settle` takes the script's answer (hits in the window, the window's
 * remaining ms), sets the RateLimit-* headers, and throws the 429 (with Retry-After) when over.
 */
export interface FusedLimit {
  readonly group: string;
  readonly tracker: string;
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Set when the handler sent its script: the hit is counted there, not again. */
  taken: boolean;
  settle(hits: number, pttl: number): void;
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

  /** Standalone Redis: a bucket and a route's own keys can share one script. */
  readonly fusable: boolean;

  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    @Inject(rateLimitConfig.KEY) private readonly cfg: RateLimitConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
  ) {
    this.fusable = cfg.enabled && redisCfg.mode === 'standalone';
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /**
   * The hit of `tracker` in `group` for a handler to count in its own script; `headers` sets a
   * response header. The bucket key is the one RedisThrottlerStorage uses, so both paths count
   * in the same bucket.
   */
  fused(
    group: string,
    tracker: string,
    headers: (name: string, value: number) => void,
  ): FusedLimit {
    const limit = this.cfg.limits[group] ?? this.cfg.limits.default;
    const windowMs = this.cfg.windowMs;
    return {
      group,
      tracker,
      key: `${this.redisCfg.keyPrefix}rl:${group}:${tracker}`,
      limit,
      windowMs,
      taken: false,
      settle(hits: number, pttl: number) {
        const reset = Math.max(1, Math.ceil((pttl > 0 ? pttl : windowMs) / 1000));
        if (hits > limit) {
          headers('retry-after', reset);
          throw tooManyRequests();
        }
        headers('ratelimit-limit', limit);
        headers('ratelimit-remaining', Math.max(0, limit - hits));
        headers('ratelimit-reset', reset);
      },
    };
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

/** The fused hit of this request, when RequestGate handed one to its handler (else undefined). */
export const FusedLimitOf = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): FusedLimit | undefined =>
    ctx.switchToHttp().getRequest<{ fusedLimit?: FusedLimit }>().fusedLimit,
);

/** The 429 of a request over its limit. */
export const tooManyRequests = (): ThrottlerException => new ThrottlerException(RATE_LIMIT_MESSAGE);
