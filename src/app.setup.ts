import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { installAuditLog } from './common/audit/audit-log';
import { toErrorBody } from './common/errors/error-body';
import { validationPipe } from './common/errors/validation';
import { KnownRoutes } from './common/http/known-routes';
import { requestIdOf } from './common/http/request-id';
import { RequestGate } from './common/http/request-gate';
import { applyCors } from './common/http/security';
import { AnonymousLimiter } from './common/rate-limit/anonymous-limiter';
import { allConfigs, appConfig, loadEnv } from './config';
import { HttpMetrics } from './observability/http-metrics';
import {
  AccessLog,
  createRootLogger,
  lazyRequestLogger,
  nestLoggerParams,
} from './observability/logger';
import { setupSwagger } from './swagger';

export const VERSION: string = JSON.parse(
  readFileSync(join(__dirname, '..', 'package.json'), 'utf8'),
).version;

/** Runs every config factory once so a bad variable fails here, as one line, before Nest starts. */
export function preflightConfig(): void {
  for (const factory of allConfigs) factory();
}

/**
 * Bodies are JSON and nothing else, as the document says: Fastify's own JSON parser (bodyLimit,
 * prototype-poisoning checks) stays, its text/plain parser goes, and Nest registers none
 * (`bodyParser: false`, which would add a form parser). Any other media type is refused by
 * Fastify before routing reaches us: 415 in the common shape, at no per-request cost.
 */
export function acceptJsonOnly(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('text/plain');
}

/** Builds and initialises the app exactly as production runs it; tests call this too. */
export async function createApp(): Promise<NestFastifyApplication> {
  const env = loadEnv();
  const appCfg = appConfig();
  const logger = createRootLogger(appCfg);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    childLoggerFactory: lazyRequestLogger,
    logController: new AccessLog(appCfg.logRequests),
    bodyLimit: env.BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    requestIdHeader: false,
    trustProxy: true,
    // Behind an AWS ALB (idle timeout 60 s) keep-alive must outlive the balancer's.
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000, // whole request, headers included: a slow client cannot hold a socket
    connectionTimeout: 70_000,
    return503OnClosing: true,
    // Longer params reach validation (a 400 naming the field); past this Fastify's router says 414.
    routerOptions: { maxParamLength: 500 },
    // Router-level errors (414, bad URL) in the common shape too.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toErrorBody(err, req.id);
      // Routing failed before the onRequest hooks ran: set the id header they would have set.
      void reply.code(status).header('x-request-id', req.id).send(body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(nestLoggerParams(logger)),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
      // No form (urlencoded) parser: every route takes JSON only (see acceptJsonOnly).
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(validationPipe());
  applyCors(app, appCfg.corsOrigins);
  const fastify = app.getHttpAdapter().getInstance();
  // What the request gate sets on every request, declared up front so requests keep one shape.
  for (const field of ['apiKeyId', 'caller', 'requiredScope', 'fusedLimit'] as const)
    if (!fastify.hasRequestDecorator(field)) fastify.decorateRequest(field, undefined);
  acceptJsonOnly(fastify);
  app.get(KnownRoutes).install(fastify);
  // Request id, security headers, rate limit, key and scope: one onRequest step (request-gate.ts).
  const gate = app.get(RequestGate);
  gate.declareRoutes();
  gate.install(fastify);
  app.get(HttpMetrics).install(fastify);
  installAuditLog(fastify, logger);
  app.get(AnonymousLimiter).install(fastify);
  if (appCfg.docsEnabled) setupSwagger(app, VERSION);
  await app.init();
  return app;
}
