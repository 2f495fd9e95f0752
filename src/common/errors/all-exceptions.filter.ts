import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../auth/route-auth';
import { ApiKeys } from '../auth/api-keys';
import { KnownRoutes } from '../http/known-routes';
import { toErrorBody } from './error-body';
import { isPublicPath } from '../auth/public.decorator';
import { appError } from './error-codes';

/** Renders every error in the common shape; unexpected ones are logged, never leaked. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly keys: ApiKeys,
    private readonly routes: KnownRoutes,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, internal } = toErrorBody(
      this.methodNotAllowed(exception, req, reply) ?? this.hideUnknownRoutes(exception, req),
      req.id,
    );
    if (internal) this.logger.error({ err: exception, requestId: req.id }, 'unhandled error');
    void reply.status(status).send(body);
  }

  /**
   * No route matched (Fastify's 404 route, whatever it failed on: not found, or QUERY without a
   * Content-Type), but the path exists under other methods: 405 with `Allow`. The paths are
   * public in /docs-json, so this reveals nothing a caller without a key could not read there.
   */
  private methodNotAllowed(
    exception: unknown,
    req: FastifyRequest,
    reply: FastifyReply,
  ): HttpException | undefined {
    if (req.routeOptions.url !== undefined) return undefined;
    const status = exception instanceof HttpException ? exception.getStatus() : undefined;
    const clientError =
      status ?? (exception as { statusCode?: number } | undefined)?.statusCode ?? 500;
    if (clientError < 400 || clientError >= 500) return undefined;
    const allowed = this.routes.allowed(req.url);
    if (allowed.length === 0 || allowed.includes(req.method)) return undefined;
    void reply.header('allow', allowed.join(', '));
    return appError(
      HttpStatus.METHOD_NOT_ALLOWED,
      'METHOD_NOT_ALLOWED',
      `Method ${req.method} is not allowed on this path; allowed: ${allowed.join(', ')}`,
    );
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
