import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;
const ID = Symbol('requestId');

/**
 * The request id: a well-formed incoming X-Request-Id, else a new UUID. Memoised on the raw
 * request so Fastify and pino-http (which each ask) agree.
 */
export function requestIdOf(req: IncomingMessage): string {
  const raw = req as IncomingMessage & { [ID]?: string };
  if (raw[ID]) return raw[ID];
  const header = req.headers['x-request-id'];
  return (raw[ID] = typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID());
}
