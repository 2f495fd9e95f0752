import { Logger } from '@nestjs/common';
import { DependencyUnavailableException } from '../common/errors/error-body';

const logger = new Logger('Ingest');

/**
 * Runs a call to an AWS dependency; any failure is answered as 503 naming it. (Whether an error
 * is worth retrying is decided in one place: classifyAwsError in src/infra/aws.)
 */
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
