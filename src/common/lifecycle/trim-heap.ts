import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Below this share of busy event loop over a check interval, the process counts as idle. */
export const IDLE_UTILIZATION = 0.05;

/**
 * Loading ~2,000 modules at boot grows V8's young generation to its maximum (2 × 32 MB on large
 * hosts), and an idle service never gives it back: idle RSS would sit near 200 MB. A
 * memory-reducing collection gives it back (~50 MB less RSS, measured by bench/boot.bench.ts).
 * Two more, in the next idle moments, also drop the bytecode of the functions that only ran
 * while the app started (module set-up, DI, route registration: 3.3 → 0.8 MB of bytecode and
 * ~8 MB of RSS): V8 flushes a function's bytecode once it has not run for a few major
 * collections, and an idle process has few. A flushed function that runs again is compiled again
 * on its first call, as V8 does in any long-lived process. Each collection is one pause of about
 * 0.1 s, three in the pod's life.
 *
 * They wait for quarter seconds after listen in which the event loop was idle (a check every
 * second missed the first seconds after ready on a busy machine, where one short burst of
 * start-up work spoiled a whole second): run under load, they also shrink the young generation
 * the load is using, and the regrowth cost ~20 % more CPU per task in the tasks benchmark. A pod
 * that is never idle keeps its memory, which it is using. `gc` is reached through a fresh context
 * because `--expose-gc` set at run time only applies to new ones.
 */
export function trimHeapWhenIdle(checkEveryMs = 250, collections = 3): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  let left = collections;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy >= IDLE_UTILIZATION) return;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    last = performance.eventLoopUtilization(); // the next check measures the loop, not this pause
    if (--left === 0) clearInterval(timer);
  }, checkEveryMs);
  timer.unref();
}
