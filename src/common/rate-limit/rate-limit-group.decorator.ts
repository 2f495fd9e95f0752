import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_GROUP = 'platform:rateLimitGroup';

/** Puts a controller or route in a rate-limit group (RATE_LIMITS=group=n); `default` otherwise. */
export const RateLimitGroup = (group: string) => SetMetadata(RATE_LIMIT_GROUP, group);

export const SKIP_RATE_LIMIT = 'platform:skipRateLimit';

/** Exempts a controller or route from rate limits (probes and metrics scrapes). */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);

export const FUSED_RATE_LIMIT = 'platform:fusedRateLimit';

/**
 * The route's handler counts the rate-limit hit itself, in the same Redis script as its own
 * write (one round trip instead of two): RequestGate then hands it a FusedRateLimit
 * (@FusedLimit()) instead of calling Redis. Only where the limiter can fuse (standalone Redis:
 * in a cluster the bucket and the route's keys live in different slots); elsewhere the gate
 * counts the hit as usual and the handler gets undefined.
 */
export const FusedRateLimit = () => SetMetadata(FUSED_RATE_LIMIT, true);
