import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { ROUTE_DEADLINE_COMMANDS, routeRedisOp, type RouteCall } from './redis-op';

// Only `status` is read when the connection is ready.
const ready = { status: 'ready' } as Redis;
const never = () => new Promise<never>(() => undefined);
const MS = 50; // the command timeout: the route's deadline is ROUTE_DEADLINE_COMMANDS × it

describe('routeRedisOp', () => {
  it("answers the work's value, a 503 for a Redis outage, other errors as they are", async () => {
    await expect(routeRedisOp(ready, MS, async () => 7)).resolves.toBe(7);
    await expect(
      routeRedisOp(ready, MS, () => Promise.reject(new Error('Command timed out'))),
    ).rejects.toBeInstanceOf(DependencyUnavailableException);
    await expect(
      routeRedisOp(ready, MS, () => Promise.reject(new Error('WRONGTYPE'))),
    ).rejects.toThrow('WRONGTYPE');
  });

  it('a connection that is not ready: 503 without trying', async () => {
    let tried = false;
    const down = { status: 'reconnecting' } as Redis;
    await expect(routeRedisOp(down, MS, async () => (tried = true))).rejects.toBeInstanceOf(
      DependencyUnavailableException,
    );
    expect(tried).toBe(false);
  });

  it('work that never answers: 503 at the deadline, timed from the call (prepare included)', async () => {
    // prepare (queues being opened) that takes far longer than the route may: the deadline still
    // answers, not prepare's wait + a full deadline after it (what the route paid before). The
    // margin is wide: the full suite runs beside others on two cores (timers fire late, not early).
    const PREPARE_MS = 40 * MS;
    const t0 = performance.now();
    const answer = routeRedisOp(ready, MS, never, () =>
      sleep(PREPARE_MS, undefined, { ref: false }),
    );
    await expect(answer).rejects.toBeInstanceOf(DependencyUnavailableException);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(ROUTE_DEADLINE_COMMANDS * MS - 1);
    expect(waited).toBeLessThan(PREPARE_MS / 2);
  });

  it('tells the work when the route answered 503 without it, and only then', async () => {
    const undone: string[] = [];
    // The deadline wins: the work hears of it (also what it registers after), and still runs on.
    let finish!: () => void;
    let seen!: RouteCall;
    const late = routeRedisOp(ready, MS, async (call) => {
      seen = call;
      call.onExpired(() => undone.push('late'));
      await new Promise<void>((r) => (finish = r));
    });
    await expect(late).rejects.toBeInstanceOf(DependencyUnavailableException);
    expect(undone).toEqual(['late']);
    seen.onExpired(() => undone.push('registered after'));
    expect(undone).toEqual(['late', 'registered after']);
    finish();
    // The work answers first (even one that fails): nothing to undo, now or later.
    await routeRedisOp(ready, MS, async (call) => call.onExpired(() => undone.push('in time')));
    await expect(
      routeRedisOp(ready, MS, async (call) => {
        call.onExpired(() => undone.push('failed in time'));
        throw new Error('WRONGTYPE');
      }),
    ).rejects.toThrow('WRONGTYPE');
    await sleep((ROUTE_DEADLINE_COMMANDS + 1) * MS);
    expect(undone).toEqual(['late', 'registered after']);
  });
});
