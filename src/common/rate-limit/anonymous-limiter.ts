import { Inject, Injectable } from '@nestjs/common';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rateLimitConfig, type RateLimitConfig } from '../../config';
import { ApiKeys } from '../auth/api-keys';
import { toErrorBody } from '../errors/error-body';
import { isPublicPath } from '../auth/public.decorator';

/**
 * The `anonymous` limit for requests no route matched. Nest guards never run for those, yet a
 * 401 there versus a 404 with a valid key would let a client test keys without limit.
 */
@Injectable()
export class AnonymousLimiter {
  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    @Inject(rateLimitConfig.KEY) private readonly cfg: RateLimitConfig,
    private readonly keys: ApiKeys,
  ) {}

  install(fastify: FastifyInstance): void {
    if (!this.cfg.enabled) return;
    // Callback style: matched routes (nearly every request) pass synchronously, no promise per request.
    fastify.addHook('onRequest', (req, reply, done) => {
      if (req.routeOptions.url !== undefined) return done(); // a real route: the guard limits it
      this.retryAfter(req).then((retryAfter) => {
        if (retryAfter === undefined) return done();
        const err = Object.assign(
          new Error('Rate limit exceeded: retry after the number of seconds in Retry-After'),
          {
            statusCode: 429,
          },
        );
        void reply.code(429).header('retry-after', retryAfter).send(toErrorBody(err, req.id).body);
      }, done);
    });
  }

  /** Seconds to wait when this unmatched, keyless request is over the limit; else undefined. */
  private async retryAfter(req: FastifyRequest): Promise<number | undefined> {
    if (isPublicPath(req.url)) return undefined;
    if (this.keys.identify(req.headers['x-api-key'])) return undefined;
    return this.hit(req.ip);
  }

  /**
   * Counts one failed or keyless attempt from `ip` in the `anonymous` bucket; the seconds to wait
   * when over the limit, else undefined. Also for routes outside Nest (the queue UI's basic auth).
   */
  async hit(ip: string): Promise<number | undefined> {
    if (!this.cfg.enabled) return undefined;
    const limit = this.cfg.limits.anonymous;
    try {
      const hit = await this.storage.increment(
        `anonymous:ip:${ip}`,
        this.cfg.windowMs,
        limit,
        this.cfg.windowMs,
        'default',
      );
      return hit.isBlocked ? hit.timeToBlockExpire : undefined;
    } catch {
      return undefined; // Redis down: fail open, like the anonymous group elsewhere
    }
  }
}
