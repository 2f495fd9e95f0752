import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';

/**
 * Security headers on every response (helmet), with a CSP that still lets Swagger UI at /docs
 * run its inline bootstrap; CORS only for the configured origins (off when there are none).
 * helmet's middleware is built once here and run on the raw response in an onRequest hook, like
 * @fastify/helmet does, except that @fastify/helmet 13 rebuilds it on every request: parsing the
 * CSP directives again cost about as much CPU as Fastify's own routing.
 */
export async function applySecurity(
  app: NestFastifyApplication,
  corsOrigins: string[],
): Promise<void> {
  const headers = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) =>
      headers(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)),
    );
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      allowedHeaders: ['content-type', 'x-api-key', 'idempotency-key', 'x-request-id'],
      exposedHeaders: [
        'x-request-id',
        'location',
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
      ],
      maxAge: 600,
    });
  }
}
