import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { ROUTE_DEADLINE_COMMANDS, routeRedisOp } from './redis-op';

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
    const t0 = performance.now();
    const answer = routeRedisOp(ready, MS, never, () => sleep(2 * MS));
    await expect(answer).rejects.toBeInstanceOf(DependencyUnavailableException);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(ROUTE_DEADLINE_COMMANDS * MS - 1);
    // Not prepare's wait + a full deadline after it (what the route paid before).
    expect(waited).toBeLessThan((ROUTE_DEADLINE_COMMANDS + 2) * MS);
  });
});
