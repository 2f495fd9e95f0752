import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { infoLines } from '../../observability/logger';
import type { AuthedRequest } from '../auth/route-auth';

/** The logger name audit lines carry (`"name":"audit"`), so a log shipper can route them apart. */
export const AUDIT_LOGGER = 'audit';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** counter-api's routes act on this one counter (see compat/counter-api.controller.ts). */
const LEGACY_COUNTER = 'default';

type Bag = Record<string, unknown>;
const bag = (v: unknown): Bag => (typeof v === 'object' && v !== null ? (v as Bag) : {});
const str = (...vs: unknown[]): string | undefined =>
  vs.find((v): v is string => typeof v === 'string' && v.length > 0);

/** What a request acted on, by the family of its scope; never a body's content. */
export function auditTarget(req: AuthedRequest, reply: FastifyReply): Bag | undefined {
  const family = req.requiredScope?.split(':')[0];
  const p = bag(req.params);
  const q = bag(req.query);
  const b = bag(req.body);
  switch (family) {
    case 'counters':
      return { counter: str(p.name) ?? LEGACY_COUNTER };
    case 'tasks': {
      if (Array.isArray(b.tasks)) return { tasks: b.tasks.length };
      if (Array.isArray(b.items)) return { tasks: b.items.length }; // POST /v1/tasks/complete
      const location = reply.getHeader('location');
      const created =
        typeof location === 'string' ? decodeURIComponent(location.split('/').pop()!) : undefined;
      const task = str(p.id, p.task_id, b.task_id, b.id, created);
      return task ? { task } : undefined;
    }
    case 'ingest':
      if (Array.isArray(b.messages)) return { messages: b.messages.length };
      if (req.routeOptions.url === '/process_message') return { messages: 1 };
      return str(p.id) ? { message: p.id } : b.method ? { redrive: b.method } : undefined;
    case 'eks': {
      const jobRoute = req.routeOptions.url?.includes('/jobs') ?? false;
      const namespace = str(p.ns, q.namespace, b.namespace, q.namespace_name, b.namespace_name);
      const job = str(jobRoute ? p.name : undefined, q.job_name, jobRoute ? b.name : undefined);
      if (!namespace && !jobRoute) return str(b.name) ? { namespace: b.name } : undefined;
      return { namespace, ...(job ? { job } : {}) };
    }
    default:
      return undefined;
  }
}

/**
 * One JSON line per mutating request (POST, PUT, PATCH, DELETE) and per refused attempt (401,
 * 403), on the `audit` logger: time, key id, method, route template, target, status, request
 * id. Never the key, never a body. Written when the response is sent.
 */
export function installAuditLog(fastify: FastifyInstance, root: Logger): void {
  // At info whatever LOG_LEVEL says (an audit trail is not debug output), unless logs are off.
  // Its fields are chosen here and never hold a secret: no redaction pass (infoLines).
  const audit = infoLines(root, { name: AUDIT_LOGGER });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const status = reply.statusCode;
    const refused = status === 401 || status === 403;
    if (!refused && !MUTATING.has(request.method)) return done();
    const req = request as AuthedRequest;
    // Queue UI pages (GET) and assets are not mutations; its refusals are still audited.
    audit(
      {
        keyId: req.apiKeyId ?? null,
        method: req.method,
        route: req.routeOptions.url ?? null,
        target: auditTarget(req, reply) ?? null,
        status,
        requestId: req.id,
        ...(refused ? { outcome: 'refused' } : {}),
        ...(req.requiredScope ? { scope: req.requiredScope } : {}),
      },
      'audit',
    );
    done();
  });
}
