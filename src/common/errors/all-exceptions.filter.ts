import { ArgumentsHost, Catch, ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../auth/api-key.guard';
import { ApiKeys } from '../auth/api-keys';
import { toErrorBody } from './error-body';
import { isPublicPath } from '../auth/public.decorator';

/** Renders every error in the common shape; unexpected ones are logged, never leaked. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly keys: ApiKeys) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, internal } = toErrorBody(this.hideUnknownRoutes(exception, req), req.id);
    if (internal) this.logger.error({ err: exception, requestId: req.id }, 'unhandled error');
    void reply.status(status).send(body);
  }

  /** Without a valid key, an unknown path answers 401 like a real one: routes cannot be enumerated. */
  private hideUnknownRoutes(exception: unknown, req: FastifyRequest): unknown {
    if (!(exception instanceof NotFoundException) || req.routeOptions.url !== undefined)
      return exception;
    if (isPublicPath(req.url)) return exception;
    const key = req.headers['x-api-key'];
    if (this.keys.identify(key)) return exception;
    return unauthorized(!(typeof key === 'string' && key));
  }
}
