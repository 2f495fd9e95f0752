import { registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { ConfigError, parseEnv, toBool } from './env.schema';

const LIST = /^\s*([a-z][a-z0-9-]*\s*[:=]\s*\d+\s*)(,\s*[a-z][a-z0-9-]*\s*[:=]\s*\d+\s*)*$/;

export class RateLimitEnv {
  @Transform(toBool)
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;
  @IsInt() @Min(1) @Max(3600) RATE_LIMIT_WINDOW_SECONDS = 60;
  /** Requests per window per API key, by route group; `anonymous` is per client IP without a valid key. */
  @Matches(LIST, { message: 'must look like "default=1200,anonymous=60,eks=300"' })
  RATE_LIMITS = 'default=1200,anonymous=60';
  /** Groups that answer 503 when the limiter's Redis is down (the others let requests through). */
  @Matches(/^[a-z0-9,\s-]*$/, { message: 'must be a comma-separated list of route groups' })
  RATE_LIMIT_FAIL_CLOSED = 'eks';
}

export const rateLimitConfig = registerAs('rateLimit', () => {
  const e = parseEnv(RateLimitEnv);
  const limits = Object.fromEntries(
    e.RATE_LIMITS.split(',').map((pair) => {
      const [group, n] = pair.split(/[:=]/).map((s) => s.trim());
      return [group, Number(n)];
    }),
  ) as Record<string, number>;
  if (!limits.default || !limits.anonymous) {
    throw new ConfigError(
      'Invalid configuration: RATE_LIMITS must set both "default" and "anonymous"',
    );
  }
  return {
    enabled: e.RATE_LIMIT_ENABLED,
    windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
    limits,
    failClosed: new Set(
      e.RATE_LIMIT_FAIL_CLOSED.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
});
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
