import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { createRedis } from '../src/infra/redis/redis.factory';
import { withCommandDeadline } from '../src/infra/redis/redis.deadline';

jest.setTimeout(20_000);

/** Keeps this process busy (no I/O, no timers) for `ms`: a GC pause or a starved CPU, in short. */
const stall = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/**
 * A reply Redis sent in time is not failed as "Command timed out" because this process stalled
 * past the timeout before reading it (the CI on record answered 503 to schedule routes so: Node
 * runs expired timers before it reads sockets). A reply that really is missing still fails at the
 * bound. A Redis of this suite's own: the missing reply is made with CLIENT PAUSE, which would
 * hold every other suite's commands on a shared one.
 */
describe('command timeouts and a stalled event loop (real Redis)', () => {
  let redis: RedisProcess;
  let client: Redis;
  let direct: Redis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = createRedis(redis.url, 200);
    direct = createRedis(redis.url, 200, { enableAutoPipelining: false });
    admin = new Redis(redis.url);
    // fail-fast clients: no offline queue
    await Promise.all([client, direct].map((c) => new Promise((ok) => c.once('ready', ok))));
    await Promise.all([client.set('k', 'v'), admin.ping()]);
  });
  afterAll(async () => {
    client?.disconnect();
    direct?.disconnect();
    admin?.disconnect();
    await redis?.stop();
  });

  it('ioredis commandTimeout: a reply received during a stall of 2× the timeout is kept', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = direct.get('k'); // written at once
      stall(400);
      await expect(reply).resolves.toBe('v');
    }
  });

  it('the same with auto-pipelining (the app clients): stalled after the pipeline is written', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = client.get('k');
      // The pipeline is written in an immediate queued before this one, in the same loop phase.
      await new Promise((written) => setImmediate(written));
      stall(400);
      await expect(reply).resolves.toBe('v');
    }
  });

  it('withCommandDeadline: a reply received during a stall of 2× the bound is kept', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = withCommandDeadline(admin.get('k'), 200);
      stall(400);
      await expect(reply).resolves.toBe('v');
    }
  });

  it('a reply that does not come still fails at the bound, with the usual message', async () => {
    await admin.call('CLIENT', 'PAUSE', '800', 'ALL');
    const t0 = performance.now();
    await expect(client.get('k')).rejects.toThrow('Command timed out');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(195);
    await expect(withCommandDeadline(admin.get('k'), 150)).rejects.toThrow('Command timed out');
    await admin.call('CLIENT', 'UNPAUSE');
  });
});
