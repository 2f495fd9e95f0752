/**
 * True for ioredis errors that mean "Redis cannot be reached now" (answered as 503, not 500);
 * in cluster mode also a cluster between two states (failover, slot migration, slot map refresh).
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EPIPE|LOADING|Reached the max retries|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes|Cluster is ended|MASTERDOWN|READONLY/i.test(
      err.message,
    )
  );
}
