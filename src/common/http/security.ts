import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';

/**
 * The security headers of every response, as helmet writes them, with a CSP that still lets
 * Swagger UI at /docs run its inline bootstrap. None depends on the request, so helmet runs once,
 * at start-up, against a response that records them; RequestGate sets the recorded headers in
 * its one onRequest step. (Running helmet's middleware per request cost about 3 µs of CPU each;
 * @fastify/helmet 13 even rebuilds it per request.)
 */
export function securityHeaders(): Readonly<Record<string, string>> {
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let failed: unknown;
  middleware({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, (err) => {
    failed = err;
  });
  if (failed) throw failed as Error;
  if (Object.keys(headers).length === 0) throw new Error('helmet set no security headers');
  return Object.freeze(headers);
}

/** CORS only for the configured origins (off when there are none). */
export function applyCors(app: NestFastifyApplication, corsOrigins: string[]): void {
  if (corsOrigins.length === 0) return;
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
