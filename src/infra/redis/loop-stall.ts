import { Command } from 'ioredis';

/**
 * A timeout that fires after our own process stalled must not fail a reply that arrived in time.
 *
 * Node runs expired timers before it reads the sockets. When this process stops running for
 * longer than a command timeout (a long synchronous task, a GC pause, CPU starvation on a busy
 * node), the reply is waiting in the socket when the loop resumes, yet the timer runs first and
 * fails the command: a 503 for a call Redis answered in a millisecond, and for a write an outcome
 * the caller must then reconcile. `afterPendingIo` runs `fn` only after an I/O poll with no stall
 * behind it: setImmediate runs after the poll phase, and if the process stalled again between
 * that poll and the immediate (another callback ran long), it waits for one more poll. So a reply
 * received by then has settled its call, and only one still missing is failed. Bounded: after
 * MAX_POLLS polls it runs anyway (a process busy all the time still fails its calls).
 */
export function afterPendingIo(fn: () => void, polls = 1): void {
  const scheduled = performance.now();
  setImmediate(() => {
    if (performance.now() - scheduled > STALL_MS && polls < MAX_POLLS)
      afterPendingIo(fn, polls + 1);
    else fn();
  });
}

/** A gap this long between scheduling an immediate and running it means the loop stalled. */
const STALL_MS = 20;
const MAX_POLLS = 10;

interface TimedCommand {
  isSettled: boolean;
  _commandTimeoutTimer?: NodeJS.Timeout;
  reject(err: Error): void;
}

let installed = false;

/**
 * ioredis's `commandTimeout` (Command#setTimeout) with the same message and bound, failing the
 * command only after pending I/O was read (see afterPendingIo). ioredis has no option for it, so
 * its one method is replaced, once, before any client is made (redis.factory imports this).
 * Checked against ioredis 6.0: the method, `_commandTimeoutTimer` (cleared by the command when
 * it settles) and `isSettled` are as used here; test/redis-loop-stall.e2e-spec.ts (replies kept
 * through a stall, a reply that never comes still timing out) fails if the method changes.
 */
export function tolerateLoopStalls(): void {
  if (installed) return;
  installed = true;
  const proto = Command.prototype as unknown as { setTimeout(ms: number): void };
  proto.setTimeout = function (this: TimedCommand, ms: number): void {
    if (this._commandTimeoutTimer) return;
    this._commandTimeoutTimer = setTimeout(() => {
      afterPendingIo(() => {
        if (!this.isSettled) this.reject(new Error('Command timed out'));
      });
    }, ms);
  };
}
