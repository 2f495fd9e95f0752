import { HttpException } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { afterPendingIo, isRedisUnavailable, waitReady } from '../infra/redis';

/**
 * A task route's Redis work may take this many REDIS_COMMAND_TIMEOUT_MS, from the call: every
 * route's few round trips take milliseconds on a healthy Redis, and one command that never
 * answers fails at one timeout once written (more if it first waited behind a pipeline in flight).
 */
export const ROUTE_DEADLINE_COMMANDS = 3;

const unavailable = () => new DependencyUnavailableException('Redis');

/** One call of routeRedisOp, as its work sees it: whether the route has answered 503 without it. */
export class RouteCall {
  private undo?: (() => void)[];
  /** True once the deadline answered the route (503) while the work was still going. */
  expired = false;

  /** Runs `fn` when the route answers 503 at its deadline with this work unsettled (at once if it has). */
  onExpired(fn: () => void): void {
    if (this.expired) fn();
    else (this.undo ??= []).push(fn);
  }

  /** @internal routeRedisOp's deadline. */
  expire(): void {
    this.expired = true;
    const undo = this.undo ?? [];
    this.undo = undefined;
    for (const fn of undo) fn();
  }
}

/**
 * Runs a task route's Redis work on a ready producer connection, answering 503 at the latest
 * ROUTE_DEADLINE_COMMANDS × `commandTimeoutMs` after the call, whatever Redis does (down, hung,
 * stalled mid-reply); Redis outages thrown by `fn` become 503s too. The deadline covers the wait
 * for the connection (`ready`) and `prepare` (queues being opened), so a route's worst case is
 * the rate limiter + this, never more. As in withCommandDeadline, the deadline fails the call
 * only after one I/O poll (afterPendingIo): a reply read after a stall of this process wins.
 *
 * The work is not cancelled: writes in flight may still apply after the 503 (BullMQ scripts are
 * atomic, so each applies whole or not at all); a client reconciles by replaying with its
 * client id (docs/tasks.md), and a lease's complete or fail answers TASK_LEASE_LOST if it applied.
 * Work that can undo what it wrote registers that on `call` (RouteCall.onExpired): it runs when
 * the 503 goes out while the work is still going.
 */
export async function routeRedisOp<T>(
  producer: Redis,
  commandTimeoutMs: number,
  fn: (call: RouteCall) => Promise<T>,
  prepare?: (ms: number) => Promise<void>,
): Promise<T> {
  const budget = commandTimeoutMs * ROUTE_DEADLINE_COMMANDS;
  const call = new RouteCall();
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        afterPendingIo(() => {
          if (settled) return; // the work's own answer went out
          call.expire();
          reject(unavailable());
        }),
      budget,
    );
  });
  deadline.catch(() => undefined); // settled after the work won the race: nobody waits on it
  const work = async () => {
    // A connect in flight (startup, or a reconnect about to succeed) gets a short grace, no more.
    if (producer.status === 'connecting' || producer.status === 'connect')
      await waitReady(producer, Math.min(commandTimeoutMs, 500));
    if (producer.status !== 'ready') throw unavailable();
    await prepare?.(commandTimeoutMs * 2);
    return fn(call);
  };
  const running = work();
  const done = () => void (settled = true);
  running.then(done, done);
  try {
    return await Promise.race([running, deadline]);
  } catch (e) {
    if (!(e instanceof HttpException) && isRedisUnavailable(e)) throw unavailable();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
