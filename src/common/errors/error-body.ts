import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { isRedisUnavailable } from '../../infra/redis/redis.errors';
import { codeForStatus, type ErrorCode } from './error-codes';
import { RawBodyException } from './raw-body.exception';

export interface FieldError {
  field: string;
  messages: string[];
}

/** The one error shape every route answers with. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  /** Stable machine-readable code (ERROR_CODES, docs/errors.md). */
  code: ErrorCode;
  message: string;
  requestId: string;
  errors?: FieldError[];
}

/** Marks a downstream dependency as unavailable: answered as 503, retryable by the client. */
export class DependencyUnavailableException extends HttpException {
  constructor(dependency: string, extra: Record<string, unknown> = {}) {
    super(
      {
        message: `${dependency} is unavailable, retry later`,
        code: 'DEPENDENCY_UNAVAILABLE',
        ...extra,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type: send application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body cannot be empty when Content-Type is application/json',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
  FST_ERR_BAD_URL: 'Malformed URL',
};

/** Maps anything thrown to the common shape; returns `raw` when a compat route must answer verbatim. */
export function toErrorBody(
  err: unknown,
  requestId: string,
): { status: number; body: unknown; internal: boolean } {
  if (err instanceof RawBodyException)
    return { status: err.getStatus(), body: err.body, internal: false };
  let status = HttpStatus.INTERNAL_SERVER_ERROR;
  let message = 'Internal server error';
  let extra: Record<string, unknown> = {};
  let code: ErrorCode | undefined;
  if (err instanceof HttpException) {
    status = err.getStatus();
    const res = err.getResponse();
    if (typeof res === 'string') message = res;
    else {
      const {
        message: m,
        error: _e,
        statusCode: _s,
        code: c,
        ...rest
      } = res as Record<string, unknown>;
      message = Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : err.message;
      if (typeof c === 'string') code = c as ErrorCode;
      extra = rest;
    }
  } else if (isRedisUnavailable(err)) {
    status = HttpStatus.SERVICE_UNAVAILABLE;
    message = 'Redis is unavailable, retry later';
    code = 'DEPENDENCY_UNAVAILABLE';
  } else if (isClientError(err)) {
    status = err.statusCode;
    message = FASTIFY_MESSAGES[err.code ?? ''] ?? err.message;
  }
  const body = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    code: code ?? codeForStatus(status),
    message,
    requestId,
    ...extra,
  };
  return {
    status,
    body,
    internal: status >= 500 && !(err instanceof HttpException) && !isRedisUnavailable(err),
  };
}

function isClientError(
  err: unknown,
): err is { statusCode: number; code?: string; message: string } {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' && s >= 400 && s < 500;
}
