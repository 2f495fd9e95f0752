import { randomUUID } from 'node:crypto';
import {
  HttpException,
  Inject,
  Injectable,
  UnprocessableEntityException,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { counterConfig, redisConfig, type CounterConfig, type RedisConfig } from '../config';
import {
  isRedisNotSent,
  isRedisUnavailable,
  REDIS,
  ReplicaWait,
  withCommandDeadline,
} from '../infra/redis';
import { counter } from '../observability/metric';
import { checkBy, checkIdempotencyKey, checkName, MAX_VALUE } from './counter.rules';
import {
  apply,
  ApplyCode,
  defineCounterScripts,
  type ApplyResult,
  type WithCounterScripts,
} from './counter.script';
import type { FusedLimit } from '../common/rate-limit/rate-limiter';
import { UnansweredIncrements } from './unanswered-increments';
import { inSpan } from '../observability/tracing/spans';

export interface CounterValue {
  name: string;
  value: number;
}

type Operation = 'get' | 'increment' | 'reset';
type Result =
  | 'ok'
  | 'replayed'
  | 'conflict'
  | 'out_of_range'
  | 'invalid'
  | 'rate_limited'
  | 'unavailable'
  | 'error';
interface Outcome {
  value: CounterValue;
  result: Result;
}

/**
 * Named counters on Redis. Every change is one atomic script run; with an Idempotency-Key the
 * same run records the result so a retry gets it back instead of applying again.
 * Throws 400 (bad input), 422 (idempotency conflict, result out of range), 503 (Redis down).
 */
@Injectable()
export class CounterService implements OnApplicationShutdown {
  private readonly redis: WithCounterScripts;
  private readonly unanswered: UnansweredIncrements;
  /** REDIS_WAIT_REPLICAS ≥ 1: writes are answered only once replicas confirm them. */
  private readonly replicaWait?: ReplicaWait;
  private readonly ops = counter({
    name: 'counter_operations_total',
    help: 'Counter operations by operation (get, increment, reset) and result',
    labelNames: ['operation', 'result'] as const,
  });

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(counterConfig.KEY) private readonly cfg: CounterConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
  ) {
    this.redis = defineCounterScripts(redis);
    this.unanswered = new UnansweredIncrements(this.redis, cfg.outcomeTtlMs);
    if (cfg.waitReplicas > 0)
      this.replicaWait = new ReplicaWait(redis, cfg.waitReplicas, cfg.waitTimeoutMs);
  }

  /** Increments answered 503 that are still to be undone (see UnansweredIncrements). */
  get unreconciled(): number {
    return this.unanswered.size;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unanswered.drain();
    this.unanswered.stop();
  }

  /** A counter never written reads 0, and reading never writes. */
  get(name: string): Promise<CounterValue> {
    return this.run('get', async () => {
      checkName(name);
      const raw = await withCommandDeadline(
        this.redis.get(this.valueKey(name)),
        this.redisCfg.commandTimeoutMs,
      );
      return { value: { name, value: raw === null ? 0 : Number(raw) }, result: 'ok' };
    });
  }

  /**
   * `rateLimit`: the request's rate-limit hit, counted in the same script (@FusedRateLimit
   * routes); over the limit it throws the 429 and nothing is applied.
   */
  increment(
    name: string,
    by = 1,
    idempotencyKey?: string,
    rateLimit?: FusedLimit,
  ): Promise<CounterValue> {
    return this.run('increment', async () => {
      checkName(name);
      checkBy(by);
      checkIdempotencyKey(idempotencyKey);
      return this.change('inc', name, by, idempotencyKey, rateLimit);
    });
  }

  reset(name: string, idempotencyKey?: string): Promise<CounterValue> {
    return this.run('reset', async () => {
      checkName(name);
      checkIdempotencyKey(idempotencyKey);
      return this.change('reset', name, 0, idempotencyKey);
    });
  }

  private async change(
    op: 'inc' | 'reset',
    name: string,
    by: number,
    key?: string,
    rateLimit?: FusedLimit,
  ): Promise<Outcome> {
    const valueKey = this.valueKey(name);
    // Keys are global to the counter feature: the same key on another counter is a conflict too
    // (in cluster mode records live in the counter's slot, so keys are per counter there).
    const fingerprint = op === 'inc' ? `inc:${name}:${by}` : `reset:${name}`;
    const tag = this.cfg.hashTags ? `{${name}}:` : '';
    // A key-free increment records its outcome under a key of its own, so a 503 can be reconciled.
    const outcome =
      !key && op === 'inc' ? this.cfg.outcomeKeyPrefix + tag + randomUUID() : undefined;
    let reply: ApplyResult;
    if (rateLimit) rateLimit.taken = true; // counted by this script, sent or not
    try {
      // One Lua script checks the Idempotency-Key (or records the outcome) and applies the change.
      reply = await inSpan(
        'counter.idempotency_check_and_apply',
        { 'counter.op': op, 'counter.idempotency': key ? 'key' : outcome ? 'outcome' : 'none' },
        async (span) => {
          const r = await withCommandDeadline(
            apply(this.redis, {
              op,
              by,
              valueKey,
              limit: MAX_VALUE,
              rateLimit,
              idempotency: key
                ? {
                    recordKey: this.cfg.idempotencyKeyPrefix + tag + key,
                    fingerprint,
                    ttlMs: this.cfg.idempotencyTtlMs,
                  }
                : outcome
                  ? { recordKey: outcome, fingerprint, ttlMs: this.cfg.outcomeTtlMs }
                  : undefined,
            }),
            this.redisCfg.commandTimeoutMs,
          );
          span?.setAttribute('counter.replayed', r.code === ApplyCode.Replayed);
          return r;
        },
      );
    } catch (err) {
      if (outcome && mayHaveReachedRedis(err))
        this.unanswered.add({ valueKey, recordKey: outcome, by });
      throw err;
    }
    const { code, value } = reply;
    // Over the limit: the 429 (nothing was applied); else the RateLimit-* headers.
    if (rateLimit) rateLimit.settle(reply.hits!, reply.pttl!);
    if (
      this.replicaWait &&
      (code === ApplyCode.Applied || code === ApplyCode.Replayed) &&
      !(await this.replicaWait.confirm(valueKey))
    ) {
      // Applied on the primary but not confirmed on enough replicas: it could vanish in a failover,
      // so it is answered 503 and, like a lost reply, undone (a key-free increment) once Redis answers.
      if (outcome) this.unanswered.add({ valueKey, recordKey: outcome, by });
      throw new ReplicasUnconfirmed();
    }
    if (code === ApplyCode.Conflict) throw new IdempotencyConflict();
    if (code === ApplyCode.OutOfRange) throw new OutOfRange(name, value, by);
    return { value: { name, value }, result: code === ApplyCode.Replayed ? 'replayed' : 'ok' };
  }

  private valueKey(name: string): string {
    return this.cfg.valueKeyPrefix + (this.cfg.hashTags ? `{${name}}` : name);
  }

  /** Counts the outcome and maps Redis outages to 503. */
  private async run(operation: Operation, fn: () => Promise<Outcome>): Promise<CounterValue> {
    try {
      const { value, result } = await fn();
      this.ops.inc({ operation, result });
      return value;
    } catch (err) {
      const result = resultOf(err);
      this.ops.inc({ operation, result });
      if (result === 'unavailable') throw new DependencyUnavailableException('Redis');
      throw err;
    }
  }
}

/** Raised as a Redis outage: answered 503 DEPENDENCY_UNAVAILABLE like any other. */
class ReplicasUnconfirmed extends Error {
  constructor() {
    super('WAIT did not confirm the write on REDIS_WAIT_REPLICAS replicas in time');
  }
}

class IdempotencyConflict extends UnprocessableEntityException {
  constructor() {
    super({
      message: 'Idempotency-Key was already used with a different request',
      code: 'COUNTER_IDEMPOTENCY_CONFLICT',
    });
  }
}

class OutOfRange extends UnprocessableEntityException {
  constructor(name: string, current: number, by: number) {
    super({
      message: `Counter ${name} is ${current}; adding ${by} would leave ±${MAX_VALUE} (the largest integer JSON clients can read). Nothing was changed.`,
      code: 'COUNTER_OUT_OF_RANGE',
    });
  }
}

/** Redis down, except when the client refused to send at all (no offline queue): that never applied. */
function mayHaveReachedRedis(err: unknown): boolean {
  return isRedisUnavailable(err) && !isRedisNotSent(err);
}

function resultOf(err: unknown): Result {
  if (err instanceof IdempotencyConflict) return 'conflict';
  if (err instanceof OutOfRange) return 'out_of_range';
  if (err instanceof HttpException && err.getStatus() === 400) return 'invalid';
  if (err instanceof HttpException && err.getStatus() === 429) return 'rate_limited';
  if (err instanceof ReplicasUnconfirmed || isRedisUnavailable(err)) return 'unavailable';
  return 'error';
}
