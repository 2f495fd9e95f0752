import { Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerStorage,
  getOptionsToken,
  getStorageToken,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import { rateLimitConfig, type RateLimitConfig } from '../../config';
import { appError } from '../errors/error-codes';
import type { AuthedRequest } from '../auth/api-key.guard';
import { ApiKeys } from '../auth/api-keys';
import { RATE_LIMIT_GROUP } from './rate-limit-group.decorator';

/**
 * Limits per API key (by digest id, never the key) and route group; requests without a valid key
 * are limited per client IP under `anonymous`, before authentication, so key guessing is slowed
 * too. Answers 429 with Retry-After and RateLimit-* headers. Redis down: the groups in
 * RATE_LIMIT_FAIL_CLOSED answer 503, the others pass (the feature then decides for itself).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger('RateLimit');

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly keys: ApiKeys,
    @Inject(rateLimitConfig.KEY) private readonly cfg: RateLimitConfig,
  ) {
    super(options, storage, reflector);
    this.headerPrefix = 'RateLimit';
  }

  protected override async shouldSkip(): Promise<boolean> {
    return !this.cfg.enabled;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const req = props.context.switchToHttp().getRequest<AuthedRequest>();
    req.apiKeyId ??= this.keys.identify(req.headers['x-api-key']);
    const group = req.apiKeyId ? this.groupOf(props.context) : 'anonymous';
    const limit = this.cfg.limits[group] ?? this.cfg.limits.default;
    try {
      return await super.handleRequest({
        ...props,
        limit,
        ttl: this.cfg.windowMs,
        blockDuration: this.cfg.windowMs,
        getTracker: () => (req.apiKeyId ? `k:${req.apiKeyId}` : `ip:${req.ip}`),
        generateKey: (_ctx, tracker) => `${group}:${tracker}`,
      });
    } catch (e) {
      if ((e as { getStatus?: () => number }).getStatus?.() === 429) throw e;
      if (this.cfg.failClosed.has(group))
        throw appError(503, 'DEPENDENCY_UNAVAILABLE', 'Rate limiter unavailable, retry later');
      this.log.warn(`rate limiter unavailable, letting ${group} through: ${(e as Error).message}`);
      return true;
    }
  }

  private groupOf(ctx: ExecutionContext): string {
    return (
      this.reflector.getAllAndOverride<string>(RATE_LIMIT_GROUP, [
        ctx.getHandler(),
        ctx.getClass(),
      ]) ?? 'default'
    );
  }
}
