import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Below this share of busy event loop over a check interval, the process counts as idle. */
export const IDLE_UTILIZATION = 0.05;

/**
 * Loading ~2,000 modules at boot grows V8's young generation to its maximum (2 × 32 MB on large
 * hosts), and an idle service never gives it back: idle RSS would sit near 200 MB. One
 * memory-reducing collection gives it back (~50 MB less RSS, measured by bench/boot.bench.ts) for
 * one pause of about 0.1 s in the pod's life. It waits for the first quarter second after listen
 * in which the event loop was idle (a check every second missed the first seconds after ready on
 * a busy machine, where one short burst of start-up work spoiled a whole second): run under load, it also shrinks the young generation the load
 * is using, and the regrowth cost ~20 % more CPU per task in the tasks benchmark. A pod that is
 * never idle keeps its memory, which it is using. `gc` is reached through a fresh context because
 * `--expose-gc` set at run time only applies to new ones.
 */
export function trimHeapWhenIdle(checkEveryMs = 250): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy >= IDLE_UTILIZATION) return;
    clearInterval(timer);
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }, checkEveryMs);
  timer.unref();
}
