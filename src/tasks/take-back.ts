import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';

/** A task a submission wrote, or may have written: where to remove it from. */
export interface Placed {
  queue: Queue;
  id: string;
}

export interface TakeBackTiming {
  /** Give up removing a task after this long (the cluster client follows a failover meanwhile). */
  giveUpMs: number;
  /** The second sweep, this long after the first began: a write still on its way has landed. */
  lateMs: number;
  /** Wait after the first failed try; it doubles after each failed try, up to 8 × this. */
  retryMs: number;
}

/**
 * Removes tasks of a submission answered 503 (TasksService: only tasks without a client id, whose
 * ids nobody knows). Two sweeps: at once, each removal retried while it fails (right after a node
 * loss the cluster client refuses commands while it reloads the slot map); then again once
 * `lateMs` has passed, for a write that was still on its way at the first sweep (a MULTI that
 * timed out while queued for a node connection coming up is written when the connect completes,
 * and a route answered at its deadline may have writes in flight). A task a worker holds (remove
 * answers 0) is left to run. Tries are skipped while the connection is not ready, and spaced
 * out while they fail: under a Redis that hangs, every submission answered 503 starts one of
 * these, and each try costs a command that waits out its timeout (~6 tries in the first 10 s,
 * not 50).
 */
export async function takeBack(
  placed: Placed[],
  isReady: () => boolean,
  { giveUpMs, lateMs, retryMs }: TakeBackTiming,
): Promise<void> {
  const start = Date.now();
  const sweep = async () => {
    let left = placed;
    for (let wait = retryMs; left.length; wait = Math.min(wait * 2, retryMs * 8)) {
      if (isReady()) {
        const results = await Promise.allSettled(left.map(({ queue, id }) => queue.remove(id)));
        left = left.filter((_, i) => results[i].status === 'rejected');
      }
      if (!left.length || Date.now() - start > giveUpMs) return;
      await sleep(wait, undefined, { ref: false });
    }
  };
  await sweep();
  const untilLate = start + lateMs - Date.now();
  if (untilLate > 0) await sleep(untilLate, undefined, { ref: false });
  await sweep();
}
