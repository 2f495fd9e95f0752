/**
 * The one place that decides whether an SQS or DynamoDB failure is worth retrying as it is.
 *
 * - transient: the dependency, not the request, failed; the same call may succeed later.
 *   HTTP 429 and 5xx, the throttling names below (DynamoDB answers throttling with a 400), and
 *   SDK errors of a request that got no answer (refused, reset, our deadline: TimeoutError,
 *   AbortError, RequestTimeout).
 * - permanent: the dependency understood the request and refused it (other 4xx: validation,
 *   missing queue or table, access denied, invalid message contents). Retrying as is cannot help.
 * - unknown: no HTTP status and no name we know (a bug, a library error). Callers treat it as
 *   transient only within a bound (the ingest consumer's INGEST_RETRY_MAX_* limits).
 */
export type AwsErrorClass = 'transient' | 'permanent' | 'unknown';

/** Error names (SQS and DynamoDB, JSON and query protocols) that mean "try again later". */
export const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  // throttling (DynamoDB returns these with HTTP 400)
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'KMSThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  // server side
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // no answer in time
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  // expired credentials: the provider chain fetches new ones on the next call
  'ExpiredToken',
  'ExpiredTokenException',
]);

/** Socket-level codes of a request that never got an HTTP answer. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  name?: string;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

export function classifyAwsError(err: unknown): AwsErrorClass {
  const e = err as SdkErrorShape | undefined;
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (TRANSIENT_ERROR_NAMES.has(name)) return 'transient';
  if (status !== undefined) {
    if (status === 429 || status >= 500) return 'transient';
    if (status >= 400) return 'permanent';
  }
  if (typeof e?.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) return 'transient';
  // An SDK service exception without a status (a parse failure of a half answer): the server side.
  if (e?.$fault === 'server') return 'transient';
  if (e?.$fault === 'client') return 'permanent';
  return 'unknown';
}

/**
 * Worth retrying at once (inside a request's own deadline, or a consumer's bounded retries):
 * transient, and unknown ones (bounded by the caller).
 */
export const isRetryable = (err: unknown): boolean => classifyAwsError(err) !== 'permanent';

/** Transient for sure (not unknown). */
export const isTransient = (err: unknown): boolean => classifyAwsError(err) === 'transient';
