/**
 * The one place where Redis (ioredis) and BullMQ errors are classified. Neither library gives
 * these errors a class or code to test, so the messages below are what we rely on: each is
 * named, and covered by the fault suites (test/fault-*.e2e-spec.ts, test/redis-outage).
 */

/** ioredis: the command was refused before it was written (offline queue off): it never ran. */
const NOT_SENT = /Stream isn't writeable/;
/**
 * ioredis: Redis cannot be reached or answer now (answered as 503, not 500); in cluster mode
 * also a cluster between two states (failover, slot migration, slot map refresh), covered by
 * test/redis-cluster-failover.e2e-spec.ts.
 */
const UNAVAILABLE =
  /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EPIPE|LOADING|Reached the max retries|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes|Cluster is ended|MASTERDOWN|READONLY/i;
/** BullMQ: removing a job that a worker holds the lock of (it became active). */
const JOB_LOCKED = /locked/i;
/** BullMQ: retrying a job that is no longer in the failed state. */
const JOB_NOT_IN_STATE = /not in the failed state|is not in the/i;

/** BullMQ: finishing or extending a job with a token that does not hold its lock (or no longer active). */
const LOCK_LOST =
  /Missing lock for job|Lock mismatch for job|is not in the active state|Missing key for job/;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : '');

/** True for ioredis errors that mean "Redis cannot be reached now" (answered as 503, not 500). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'MaxRetriesPerRequestError' || UNAVAILABLE.test(err.message);
}

/** Redis is down, but this command was never sent: it certainly did not apply. */
export const isRedisNotSent = (err: unknown): boolean => NOT_SENT.test(messageOf(err));

/** BullMQ refused to remove a job because a worker holds it. */
export const isBullJobLocked = (err: unknown): boolean => JOB_LOCKED.test(messageOf(err));

/** BullMQ refused a state change because the job moved on (e.g. retry of a job no longer failed). */
export const isBullJobNotInState = (err: unknown): boolean => JOB_NOT_IN_STATE.test(messageOf(err));

/** BullMQ refused a finish because the lock token is wrong or expired, or the job left `active`. */
export const isBullLockLost = (err: unknown): boolean => LOCK_LOST.test(messageOf(err));
