import { BadRequestException, NotFoundException } from '@nestjs/common';
import { DependencyUnavailableException, toErrorBody } from './error-body';
import { RawBodyException } from './raw-body.exception';

describe('toErrorBody', () => {
  it('keeps the status and message of HttpExceptions, and extra fields', () => {
    const err = new BadRequestException({
      message: 'Validation failed: by',
      errors: [{ field: 'by', messages: ['x'] }],
    });
    expect(toErrorBody(err, 'r1')).toEqual({
      status: 400,
      internal: false,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        code: 'BAD_REQUEST',
        message: 'Validation failed: by',
        requestId: 'r1',
        errors: [{ field: 'by', messages: ['x'] }],
      },
    });
    expect(toErrorBody(new NotFoundException('nope'), 'r2').body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'NOT_FOUND',
      message: 'nope',
      requestId: 'r2',
    });
  });

  it('answers 503 for an unreachable Redis, and 503 with details for a named dependency', () => {
    expect(
      toErrorBody(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'r')
        .status,
    ).toBe(503);
    expect(toErrorBody(new Error('Command timed out'), 'r').status).toBe(503);
    const dep = toErrorBody(new DependencyUnavailableException('SQS', { accepted: ['a'] }), 'r');
    expect(dep.body).toMatchObject({
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'SQS is unavailable, retry later',
      accepted: ['a'],
    });
  });

  it('keeps a precise code, and the Redis outage is DEPENDENCY_UNAVAILABLE', () => {
    const conflict = new BadRequestException({ message: 'm', code: 'VALIDATION_FAILED' });
    expect(toErrorBody(conflict, 'r').body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(toErrorBody(new Error('Command timed out'), 'r').body).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
  });

  it('maps Fastify client errors by code, and hides unexpected errors behind a 500', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toErrorBody(tooLarge, 'r').body).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'PAYLOAD_TOO_LARGE',
    });
    const boom = toErrorBody(new TypeError('secret internals'), 'r');
    expect(boom).toMatchObject({
      status: 500,
      internal: true,
      body: { message: 'Internal server error', code: 'INTERNAL' },
    });
  });

  it('sends a compat body verbatim', () => {
    expect(toErrorBody(new RawBodyException(403, { error: 'Invalid API key' }), 'r')).toEqual({
      status: 403,
      body: { error: 'Invalid API key' },
      internal: false,
    });
  });
});
