import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectQueue } from '@nestjs/bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeys } from '../common/auth/api-keys';
import { AnonymousLimiter } from '../common/rate-limit/anonymous-limiter';
import { TASKS_QUEUE } from './task.types';
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
 * bull-board at /admin/queues, behind HTTP basic auth whose password is any valid API key.
 * Registered as one Fastify plugin whose onRequest hook guards every UI page, asset and API
 * route under the prefix (the routes are Fastify's, so the Nest guard never sees them).
 */
@Injectable()
export class QueueUi implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly keys: ApiKeys,
    private readonly limiter: AnonymousLimiter,
    @InjectQueue(TASKS_QUEUE) private readonly queue: Queue,
  ) {}

  onModuleInit(): void {
    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_UI_PATH);
    createBullBoard({ queues: [new BullMQAdapter(this.queue)], serverAdapter: board });
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (this.keys.identify(basicPassword(req.headers.authorization))) return;
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
