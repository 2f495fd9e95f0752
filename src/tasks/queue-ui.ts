import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Queue } from 'bullmq';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeys } from '../common/auth/api-keys';
import { AnonymousLimiter } from '../common/rate-limit/anonymous-limiter';
import { TaskQueues } from './task-queues';
import { toErrorBody } from '../common/errors/error-body';
import { appError } from '../common/errors/error-codes';

export const QUEUE_UI_PATH = '/admin/queues';
const REALM = 'Basic realm="platform-api queues", charset="UTF-8"';

/** The password of `Authorization: Basic`, or undefined (the user name is not checked). */
export function basicPassword(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * bull-board at /admin/queues, behind HTTP basic auth whose password is an API key with `admin`.
 * Registered as one Fastify plugin whose onRequest hook guards every UI page, asset and API
 * route under the prefix (the routes are Fastify's, so the Nest guard never sees them).
 */
@Injectable()
export class QueueUi implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly keys: ApiKeys,
    private readonly limiter: AnonymousLimiter,
    private readonly queues: TaskQueues,
  ) {}

  onModuleInit(): void {
    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_UI_PATH);
    // Every built-in queue (TASKS_QUEUE_SHARDS); queues 1… exist once Redis is ready and are
    // made again after a failed start, so the board follows TaskQueues on each signed-in request.
    let shown: Queue[] = [];
    const current = (): Queue[] => {
      try {
        return this.queues.all;
      } catch {
        return [this.queues.main];
      }
    };
    const ui = createBullBoard({ queues: [], serverAdapter: board });
    const follow = () => {
      const now = current();
      if (now.length === shown.length && now.every((q, i) => q === shown[i])) return;
      ui.replaceQueues(now.map((q) => new BullMQAdapter(q)));
      shown = now;
    };
    follow();
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        const caller = this.keys.identify(basicPassword(req.headers.authorization));
        if (caller?.admin) return follow();
        if (caller) {
          // A valid key without `admin`: the UI can delete and retry anything, so it is refused.
          return reply.code(403).send({
            statusCode: 403,
            error: 'Forbidden',
            message: `Queue UI: API key ${caller.id} lacks the scope it needs: admin`,
            requestId: req.id,
            code: 'AUTH_SCOPE_MISSING',
            requiredScope: 'admin',
          });
        }
        // Failed sign-ins count against the caller's IP like any keyless request: no free guessing.
        const retryAfter = await this.limiter.hit(req.ip);
        if (retryAfter !== undefined) {
          const err = appError(
            429,
            'RATE_LIMITED',
            'Too many failed sign-ins: retry after the seconds in Retry-After',
          );
          return reply
            .code(429)
            .header('retry-after', retryAfter)
            .send(toErrorBody(err, req.id).body);
        }
        const err = appError(
          401,
          'UNAUTHORIZED',
          'Queue UI: sign in with any user name and an API key as password',
        );
        return reply
          .code(401)
          .header('www-authenticate', REALM)
          .send(toErrorBody(err, req.id).body);
      });
      await scope.register(board.registerPlugin(), { prefix: QUEUE_UI_PATH });
    });
  }
}
