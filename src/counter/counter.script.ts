import type { Redis } from 'ioredis';

/**
 * Applies an increment or reset and records its result under the Idempotency-Key in one atomic
 * Redis step, so no crash can apply a change without recording it (or the reverse).
 *
 * KEYS[1] counter value, KEYS[2] idempotency record (KEYS[1] again without a key: the script
 * always takes two keys, so the key comes first in its arguments, which is how ioredis's
 * auto-pipelining picks a cluster node for a custom command; numKeys first sent every script
 * to the node of the slot of "1" or "2").
 * ARGV op ('inc' | 'reset'), by, request fingerprint, record TTL in ms, |value| limit.
 * Returns { code, value as a decimal string }: values are formatted with %d because Lua's
 * tostring prints large numbers in exponent form.
 */
const APPLY_LUA = `
local rec = KEYS[2]
if rec == KEYS[1] then rec = nil end
if rec then
  local prev = redis.call('GET', rec)
  if prev then
    local head = ARGV[3] .. '|'
    if string.sub(prev, 1, #head) ~= head then return {2, ''} end
    return {1, string.sub(prev, #head + 1)}
  end
end
local value = 0
if ARGV[1] == 'inc' then
  local by = tonumber(ARGV[2])
  local limit = tonumber(ARGV[5])
  local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
  local nxt = cur + by
  if nxt > limit or nxt < -limit then return {3, string.format('%d', cur)} end
  value = redis.call('INCRBY', KEYS[1], by)
else
  redis.call('SET', KEYS[1], '0')
end
local out = string.format('%d', value)
if rec then redis.call('SET', rec, ARGV[3] .. '|' .. out, 'PX', ARGV[4]) end
return {0, out}
`;

/**
 * The same step with the request's rate-limit hit counted first, in the same script (one Redis
 * round trip for both; standalone Redis only: in a cluster the bucket lives in another slot).
 * KEYS[3] the rate-limit bucket; ARGV[6] its limit, ARGV[7] its window in ms. Over the limit →
 * {4, ''} and nothing else is touched. Every answer ends with the bucket's hits and remaining ms.
 * The bucket works as RedisThrottlerStorage's: INCR, PEXPIRE on the first hit of a window.
 */
const APPLY_LIMITED_LUA = `
local function apply()
${APPLY_LUA}
end
local hits = redis.call('INCR', KEYS[3])
if hits == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[7]) end
local pttl = redis.call('PTTL', KEYS[3])
if hits > tonumber(ARGV[6]) then return {4, '', hits, pttl} end
local r = apply()
r[3] = hits
r[4] = pttl
return r
`;

export const ApplyCode = {
  Applied: 0,
  Replayed: 1,
  Conflict: 2,
  OutOfRange: 3,
  RateLimited: 4,
} as const;
export type ApplyCode = (typeof ApplyCode)[keyof typeof ApplyCode];

const COMMAND = 'counterApply';
const LIMITED = 'counterApplyLimited';
const CANCEL = 'counterCancel';

type ApplyReply = [ApplyCode, string];
type LimitedReply = [ApplyCode, string, number, number];
/** A client with both counter scripts defined (defineCounterScripts). */
export type WithCounterScripts = Redis & {
  [COMMAND](...keysThenArgs: (string | number)[]): Promise<ApplyReply>;
  [LIMITED](...keysThenArgs: (string | number)[]): Promise<LimitedReply>;
  [CANCEL](...keysThenArgs: (string | number)[]): Promise<number>;
};

/**
 * Registers both scripts on the client once, when the service is built (ioredis then uses
 * EVALSHA, falling back to EVAL on NOSCRIPT). Never lazily: with auto-pipelining, a command
 * defined after a pipeline was opened is missing from that pipeline, and ioredis then misaligns
 * the pipeline's replies and throws an uncaught TypeError (redis/ioredis#1931). That crashed the
 * app when the first unanswered increment was cancelled during a Redis restart.
 */
export function defineCounterScripts(redis: Redis): WithCounterScripts {
  const r = redis as WithCounterScripts;
  if (typeof r[COMMAND] !== 'function')
    redis.defineCommand(COMMAND, { lua: APPLY_LUA, numberOfKeys: 2 });
  if (typeof r[LIMITED] !== 'function')
    redis.defineCommand(LIMITED, { lua: APPLY_LIMITED_LUA, numberOfKeys: 3 });
  if (typeof r[CANCEL] !== 'function')
    redis.defineCommand(CANCEL, { lua: CANCEL_LUA, numberOfKeys: 2 });
  return r;
}

export interface ApplyArgs {
  op: 'inc' | 'reset';
  by: number;
  valueKey: string;
  /** Record key and fingerprint, when the request carries an Idempotency-Key. */
  idempotency?: { recordKey: string; fingerprint: string; ttlMs: number };
  limit: number;
  /** The request's rate-limit bucket, counted in the same script (standalone Redis only). */
  rateLimit?: { key: string; limit: number; windowMs: number };
}

export interface ApplyResult {
  code: ApplyCode;
  value: number;
  /** With `rateLimit`: the bucket's hits in its window and the window's remaining ms. */
  hits?: number;
  pttl?: number;
}

export async function apply(redis: WithCounterScripts, a: ApplyArgs): Promise<ApplyResult> {
  const i = a.idempotency;
  const rl = a.rateLimit;
  const recordKey = i ? i.recordKey : a.valueKey;
  const fingerprint = i?.fingerprint ?? '';
  const ttlMs = i?.ttlMs ?? 0;
  if (!rl) {
    const [code, value] = await redis[COMMAND](
      a.valueKey,
      recordKey,
      a.op,
      a.by,
      fingerprint,
      ttlMs,
      a.limit,
    );
    return { code, value: Number(value) };
  }
  const [code, value, hits, pttl] = await redis[LIMITED](
    a.valueKey,
    recordKey,
    rl.key,
    a.op,
    a.by,
    fingerprint,
    ttlMs,
    a.limit,
    rl.limit,
    rl.windowMs,
  );
  return { code, value: Number(value), hits, pttl };
}

/**
 * Cancels an increment whose caller was answered 503 (see UnansweredIncrements). KEYS[1] counter
 * value, KEYS[2] the increment's outcome record; ARGV by, record TTL in ms. Applied → undone;
 * not (yet) applied → a tombstone makes a late arrival a no-op (its fingerprint no longer
 * matches). Running it twice changes nothing more. Returns 1 when it undid the increment.
 */
const CANCEL_LUA = `
local prev = redis.call('GET', KEYS[2])
if prev == 'cancelled|' then return 0 end
if not prev then
  redis.call('SET', KEYS[2], 'cancelled|', 'PX', ARGV[2])
  return 0
end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'cancelled|', 'KEEPTTL')
return 1
`;

export function cancelIncrement(
  redis: WithCounterScripts,
  a: { valueKey: string; recordKey: string; by: number; ttlMs: number },
): Promise<number> {
  return redis[CANCEL](a.valueKey, a.recordKey, a.by, a.ttlMs);
}
