import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_GROUP = 'platform:rateLimitGroup';

/** Puts a controller or route in a rate-limit group (RATE_LIMITS=group=n); `default` otherwise. */
export const RateLimitGroup = (group: string) => SetMetadata(RATE_LIMIT_GROUP, group);

export const SKIP_RATE_LIMIT = 'platform:skipRateLimit';

/** Exempts a controller or route from rate limits (probes and metrics scrapes). */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);
