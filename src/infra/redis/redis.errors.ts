/** True for ioredis errors that mean "Redis cannot be reached now" (answered as 503, not 500). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EPIPE|LOADING|Reached the max retries/i.test(
      err.message,
    )
  );
}
