import { Logger } from '@nestjs/common';
import { DependencyUnavailableException } from '../common/errors/error-body';

const logger = new Logger('Ingest');

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'AbortError',
]);

/** A failure of the dependency, not of the request: worth retrying later as it is. */
export function isTransient(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  // No HTTP status: the request never got an answer (refused, reset, timed out).
  if (status === undefined || status >= 500 || status === 429) return true;
  return TRANSIENT_NAMES.has(e?.name ?? '');
}

/** Runs a call to an AWS dependency; any failure is answered as 503 naming it. */
export async function orUnavailable<T>(dependency: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    logger.warn(`${dependency} call failed: ${(err as Error)?.name}: ${(err as Error)?.message}`);
    throw new DependencyUnavailableException(dependency, {
      reason: (err as Error)?.name ?? 'Error',
    });
  }
}
