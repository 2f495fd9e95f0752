import slotOf from 'cluster-key-slot';

/** Redis Cluster's hash slots. */
const SLOTS = 16384;

/** The BullMQ queue name of shard `i`: the configured name for shard 0 (unchanged at 1), `<name>-q<i>` after. */
export const shardQueueName = (base: string, i: number): string =>
  i === 0 ? base : `${base}-q${i}`;

/**
 * The hash tag (cluster mode) of shard `i` of `n`. Shard 0 keeps the queue's own name (`{tasks}`,
 * as with one queue). Shard i's tag is its queue name, salted (`tasks-q1~7`) until its slot falls in
 * the slice of the slot space i places after shard 0's: with the slot space split in n equal slices,
 * the n queues take one slice each. `redis-cli --cluster create`, ElastiCache and MemoryDB give each
 * shard an equal contiguous range, so with n = shards (or a multiple) every shard holds n/shards
 * queues. Deterministic in (name, i, n): every pod computes the same tags without asking Redis.
 */
export function shardTag(base: string, i: number, n: number): string {
  const name = shardQueueName(base, i);
  if (i === 0) return name;
  const slice = (s: number) => Math.floor((s * n) / SLOTS);
  const target = (slice(slotOf(base)) + i) % n;
  if (slice(slotOf(name)) === target) return name;
  for (let salt = 1; ; salt++) {
    const tag = `${name}~${salt}`;
    if (slice(slotOf(tag)) === target) return tag;
  }
}

/**
 * The queue index of each built-in type: the sorted types dealt round-robin over `n` queues, so
 * every queue gets types whatever their names hash to (the four built-in types all hash to one
 * slot third). Deterministic for a set of handlers: every pod of one release routes alike.
 */
export function routeTypes(types: string[], n: number): Map<string, number> {
  return new Map([...types].sort().map((t, i) => [t, i % n]));
}
