import { HttpException, type HttpStatus } from '@nestjs/common';

/**
 * Every `code` an error body can carry: stable, machine-readable, UPPER_SNAKE. Clients switch on
 * the code, never on the message. docs/errors.md is checked against this table by a unit test,
 * and the OpenAPI `ErrorBody.code` lists these values.
 */
export const ERROR_CODES = {
  // [status, meaning]. Generic first: the first code of a status is what an error of that status
  // without a more precise code answers.
  BAD_REQUEST: [400, 'The request is malformed (e.g. not valid JSON).'],
  UNAUTHORIZED: [401, 'Authentication failed.'],
  FORBIDDEN: [403, 'The request is not allowed.'],
  NOT_FOUND: [404, 'No such route or resource.'],
  METHOD_NOT_ALLOWED: [405, 'The path exists, the method does not (see the Allow header).'],
  CONFLICT: [409, 'The resource is in a state that does not allow this request.'],
  PAYLOAD_TOO_LARGE: [413, 'The body is larger than BODY_LIMIT_BYTES.'],
  URI_TOO_LONG: [414, 'The URL or a path parameter is too long.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'The body is not application/json.'],
  UNPROCESSABLE: [422, 'The request is well-formed but cannot be applied.'],
  RATE_LIMITED: [429, 'Too many requests: retry after the seconds in Retry-After.'],
  INTERNAL: [500, 'An unexpected error; logged with the request id.'],
  BAD_GATEWAY: [502, 'A dependency refused platform-api itself (credentials or RBAC).'],
  SERVICE_UNAVAILABLE: [503, 'The service cannot serve this now (disabled, shutting down).'],
  GATEWAY_TIMEOUT: [504, 'A dependency did not answer in time.'],
  // Precise codes.
  VALIDATION_FAILED: [400, 'Input failed validation; `errors` lists each field (path `a.0.b`).'],
  AUTH_KEY_MISSING: [401, 'No X-API-Key header.'],
  AUTH_KEY_INVALID: [401, 'The X-API-Key is not a known key.'],
  AUTH_KEY_EXPIRED: [401, 'The X-API-Key is past its `expires` date.'],
  AUTH_SCOPE_MISSING: [
    403,
    'The key lacks the scope the route needs (`requiredScope`); nothing applied.',
  ],
  AUTH_NAMESPACE_FORBIDDEN: [403, 'The namespace is outside the key’s `namespaces` (`namespace`).'],
  AUTH_TASK_TYPE_FORBIDDEN: [403, 'The task type is outside the key’s `taskTypes` (`taskType`).'],
  DEPENDENCY_UNAVAILABLE: [
    503,
    'Redis, SQS, DynamoDB or Kubernetes cannot be reached: retry later.',
  ],
  KUBERNETES_NOT_CONFIGURED: [503, 'The eks routes need K8S_AUTH (in-cluster, kubeconfig or eks).'],
  COUNTER_IDEMPOTENCY_CONFLICT: [
    422,
    'The Idempotency-Key was already used with a different request.',
  ],
  COUNTER_OUT_OF_RANGE: [
    422,
    'The increment would take the counter past ±2^53-1; nothing changed.',
  ],
  TASK_CONFLICT: [409, 'A task id is taken by another body, or the task state forbids the change.'],
  TASK_LEASE_LOST: [
    409,
    'The lease token is wrong, or the lease expired (the task went back to the queue): nothing changed.',
  ],
  SCHEDULE_CONFLICT: [409, 'A schedule of this name exists with a different body.'],
  TASK_STREAMS_LIMIT: [
    429,
    'The key has TASKS_EVENTS_MAX_STREAMS_PER_KEY event streams open on this replica: close one first.',
  ],
  INGEST_DISABLED: [503, 'Ingest is turned off (INGEST_ENABLED=false).'],
  EKS_NAMESPACE_TERMINATING: [
    409,
    'The namespace is being deleted: nothing can be created in it until it is gone.',
  ],
  EKS_NOT_MANAGED: [403, 'The namespace or job is not managed by platform-api, or is protected.'],
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The generic code of each status: the first code listed with it. */
const BY_STATUS = new Map<number, ErrorCode>();
for (const [code, [status]] of Object.entries(ERROR_CODES) as [ErrorCode, [number, string]][])
  if (!BY_STATUS.has(status)) BY_STATUS.set(status, code);

/** The code of an error that was thrown without one. */
export const codeForStatus = (status: number): ErrorCode =>
  BY_STATUS.get(status) ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');

/**
 * The one way to throw an error with a precise code: `throw appError(409, 'TASK_CONFLICT', msg)`.
 * `extra` adds documented fields to the body (e.g. `accepted`/`notAccepted`).
 */
export function appError(
  status: HttpStatus,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): HttpException {
  return new HttpException({ ...extra, message, code }, status);
}
