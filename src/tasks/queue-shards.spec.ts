import slotOf from 'cluster-key-slot';
import { routeTypes, shardQueueName, shardTag } from './queue-shards';

describe('task queue shards', () => {
  it('keeps the single queue as it was: its own name and tag', () => {
    expect(shardQueueName('tasks', 0)).toBe('tasks');
    expect(shardTag('tasks', 0, 1)).toBe('tasks');
    expect(shardTag('tasks', 0, 3)).toBe('tasks');
  });

  it.each([2, 3, 4, 6, 16])('puts %i queues in %i different slices of the slot space', (n) => {
    for (const base of ['tasks', 'orders', 'q-1']) {
      const slices = Array.from({ length: n }, (_, i) =>
        Math.floor((slotOf(shardTag(base, i, n)) * n) / 16384),
      );
      expect(new Set(slices).size).toBe(n);
      for (let i = 1; i < n; i++) {
        expect(shardQueueName(base, i)).toBe(`${base}-q${i}`);
        expect(shardTag(base, i, n).startsWith(`${base}-q${i}`)).toBe(true);
        expect(shardTag(base, i, n)).toBe(shardTag(base, i, n)); // deterministic
      }
    }
  });

  it('deals sorted types round-robin, whatever order they come in', () => {
    const r = routeTypes(['sleep', 'echo', 'counter.increment', 'ephemeral.process'], 3);
    expect([...r]).toEqual([
      ['counter.increment', 0],
      ['echo', 1],
      ['ephemeral.process', 2],
      ['sleep', 0],
    ]);
    expect(new Set(routeTypes(['b', 'a'], 1).values())).toEqual(new Set([0]));
  });
});
