import { registerAs } from '@nestjs/config';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { parseEnv } from './env.schema';
import { loadEnv } from './load-env';

/** Counter variables (see docs/counter.md). */
export class CounterEnv {
  @Matches(/^[A-Za-z0-9:_.-]{0,32}$/, { message: 'must be 0-32 chars of [A-Za-z0-9:_.-]' })
  COUNTER_KEY_PREFIX = 'counter:';
  @IsInt() @Min(1) @Max(30 * 24 * 3600) COUNTER_IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
  /** How long a key-free increment's outcome record lives: the longest Redis outage after which a 503 is still reconciled. */
  @IsInt() @Min(1) @Max(24 * 3600) COUNTER_OUTCOME_TTL_SECONDS = 120;
}

export const counterConfig = registerAs('counter', () => {
  const e = parseEnv(CounterEnv);
  // Counter keys live under the service-wide prefix, then the counter's own.
  const env = loadEnv();
  const prefix = env.REDIS_KEY_PREFIX + e.COUNTER_KEY_PREFIX;
  return {
    /**
     * Cluster mode: the counter's name goes in a hash tag (`value:{name}`, `idem:{name}:<key>`,
     * `op:{name}:<id>`) so its value and records share a slot (one script touches them together).
     */
    hashTags: env.REDIS_MODE === 'cluster',
    waitReplicas: env.REDIS_WAIT_REPLICAS,
    waitTimeoutMs: env.REDIS_WAIT_TIMEOUT_MS,
    valueKeyPrefix: `${prefix}value:`,
    idempotencyKeyPrefix: `${prefix}idem:`,
    idempotencyTtlMs: e.COUNTER_IDEMPOTENCY_TTL_SECONDS * 1000,
    outcomeKeyPrefix: `${prefix}op:`,
    outcomeTtlMs: e.COUNTER_OUTCOME_TTL_SECONDS * 1000,
  };
});
export type CounterConfig = ReturnType<typeof counterConfig>;
