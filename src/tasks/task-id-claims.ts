import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';

/** Deletes the claim only if it still holds this request's token. */
const DEL_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** How often a release that failed is tried again (releaseLater). */
const RELEASE_RETRY_MS = 200;

/** How long a claim outlives a request that died holding it (far above any request's own bound). */
export const CLAIM_TTL_MS = 30_000;

/**
 * Client-chosen task ids made unique across queues. BullMQ refuses a second job with an id only
 * within one queue; with several queues (TASKS_QUEUE_SHARDS > 1, external types) two concurrent
 * requests of different types could each look the id up, find nothing, and add it to their own
 * queue, and each read back only its own copy: two tasks, two 202s. A submission with client ids
 * therefore holds a short claim on each id (SET NX with a TTL, on queue 0's slot) from its
 * look-up until its task is stored and read back; a concurrent one waits for the claim and then
 * finds the stored task (the same body: 200 as a replay; another: 409).
 */
export class TaskIdClaims {
  constructor(
    private readonly redis: Redis,
    /** Key prefix on queue 0's hash tag (`<bull prefix>:<queue 0>`). */
    private readonly prefix: string,
    /** How long to wait for claims held by others before answering 503. */
    private readonly waitMs: number,
  ) {}

  /**
   * Runs `fn` holding a claim on every id (none: runs it at once). `until` (performance.now()
   * time): when the request was answered 503 (its route deadline); claims taken after that are
   * dropped at once instead of running `fn`: a SET that waited behind a hung pipeline and went out
   * once Redis answered again would otherwise store the task late and hold its id meanwhile, and
   * the client's replay after the 503 would wait on it and answer 503 again.
   */
  async hold<T>(ids: string[], fn: () => Promise<T>, until = Infinity): Promise<T> {
    if (!ids.length) return fn();
    const keys = [...new Set(ids)].map((id) => `${this.prefix}:claim:${id}`);
    const token = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      let got: Array<string | null>;
      try {
        got = await Promise.all(
          keys.map((k) => this.redis.set(k, token, 'PX', CLAIM_TTL_MS, 'NX')),
        );
      } catch (e) {
        // A SET whose reply was lost (Redis stalled or hung, the command timed out) may have
        // taken its claim: without this, every replay of the id (what a client does after the
        // 503) waited on our claim and answered 503 until its TTL ran out, 30 s.
        if (!(await this.releaseOwn(keys, token))) void this.releaseLater(keys, token);
        throw e;
      }
      if (got.every((r) => r === 'OK')) {
        if (performance.now() <= until) break;
        await this.release(keys, token);
        throw new DependencyUnavailableException('Redis');
      }
      // All or none: a batch holding some ids while waiting for others could wait on a batch
      // that holds those and waits for these.
      await this.release(
        keys.filter((_, i) => got[i] === 'OK'),
        token,
      );
      if (Date.now() > deadline)
        throw new DependencyUnavailableException('Redis', {
          message: 'Another request is storing this task id; retry later',
        });
      await sleep(5 + Math.random() * 20);
    }
    try {
      return await fn();
    } finally {
      await this.release(keys, token);
    }
  }

  /**
   * Drops our claims. A plain DEL first: a claim is ours until its TTL (30 s), far beyond the
   * bound of the request holding it. A DEL that fails (Redis hung or stalled under the request:
   * its reply lost, or it was never written) is retried in the background (releaseLater):
   * left to its TTL, the claim made every replay of the id (what a client does after the 503)
   * wait and answer 503 again for up to 30 s after Redis was back.
   */
  private async release(keys: string[], token: string): Promise<void> {
    if (!keys.length) return;
    try {
      await this.redis.del(...keys);
    } catch {
      void this.releaseLater(keys, token);
    }
  }

  /**
   * Drops those of `keys` that hold our token, and only those: which SETs applied is unknown, and
   * once our TTL ran out a claim is another request's. Sent on the connection that sent the SETs,
   * so Redis runs it after them if it runs them at all. True when Redis answered for every key.
   */
  private async releaseOwn(keys: string[], token: string): Promise<boolean> {
    const done = await Promise.allSettled(
      keys.map((k) => this.redis.eval(DEL_IF_OURS, 1, k, token)),
    );
    return done.every((r) => r.status === 'fulfilled');
  }

  /**
   * Retries releaseOwn every RELEASE_RETRY_MS until Redis answers, the claims' TTL has passed or
   * the connection is closed for good. Safe after the request failed: what it sent before is
   * run by Redis before this (same connection) or never (a connection reset drops it).
   */
  private async releaseLater(keys: string[], token: string): Promise<void> {
    const end = Date.now() + CLAIM_TTL_MS;
    while (Date.now() < end && this.redis.status !== 'end') {
      await sleep(RELEASE_RETRY_MS, undefined, { ref: false });
      if (await this.releaseOwn(keys, token)) return;
    }
  }
}
