import { Controller, Get, Headers, Param, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Caller } from '../../common/auth/caller.decorator';
import { RequireScope } from '../../common/auth/scope.decorator';
import { invalidField } from '../../common/errors/validation';
import { TaskIdParams } from '../dto/task-id.params';
import type { TaskCaller } from '../task.types';
import { TaskRouteErrors } from '../tasks.errors.decorator';
import { TaskEventStreams } from './task-event-streams';
import { STREAM_ID } from './task-events.hub';

const EXAMPLE =
  'id: 1764698400000-0\nevent: state\ndata: {"id":"report-2026-11-22","status":"queued",...}\n\n' +
  'id: 1764698400123-0\nevent: active\ndata: {"id":"report-2026-11-22","status":"active"}\n\n' +
  'id: 1764698401000-2\nevent: progress\ndata: {"id":"report-2026-11-22","progress":40}\n\n' +
  ': keep-alive\n\n' +
  'id: 1764698402000-0\nevent: completed\ndata: {"id":"report-2026-11-22","status":"completed","result":{"pages":3}}\n\n';

/** Live status of one task as Server-Sent Events (docs/tasks.md, "Live status"). */
@ApiTags('tasks')
@TaskRouteErrors()
@Controller('v1/tasks')
export class TaskEventsController {
  constructor(private readonly streams: TaskEventStreams) {}

  @Get(':id/events')
  @RequireScope('tasks:read')
  @ApiOperation({
    summary: "Follow a task's status live (Server-Sent Events)",
    description:
      'A `text/event-stream` of the task: first `state` (the task as GET /v1/tasks/:id shows it), then each change as it ' +
      'happens: `queued`, `delayed`, `active`, `progress`, `stalled`, and finally `completed`, `failed` or `removed`, after ' +
      'which the stream closes (it closes after `state` when the task is already finished). Every event has an `id`: ' +
      'reconnect with `Last-Event-ID` to receive every event of the task after it (read back from Redis), so a reconnect ' +
      'misses nothing while the events are retained. A `: keep-alive` comment is sent every TASKS_EVENTS_KEEPALIVE_MS. ' +
      'A key may hold TASKS_EVENTS_MAX_STREAMS_PER_KEY streams open per replica; one more is 429 TASK_STREAMS_LIMIT.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event id (the `id:` of the last event received)',
    schema: { type: 'string', pattern: STREAM_ID.source },
  })
  @ApiOkResponse({
    description: 'The event stream; it ends when the task is done',
    content: { 'text/event-stream': { schema: { type: 'string', example: EXAMPLE } } },
  })
  @ApiNotFoundResponse({ description: "No such task, or another key's task (never revealed)" })
  @ApiTooManyRequestsResponse({
    description:
      'TASK_STREAMS_LIMIT: the key already holds TASKS_EVENTS_MAX_STREAMS_PER_KEY streams on this replica; or the rate limit',
  })
  async events(
    @Param() { id }: TaskIdParams,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Caller() who: TaskCaller,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (lastEventId !== undefined && !STREAM_ID.test(lastEventId))
      throw invalidField('Last-Event-ID', 'Last-Event-ID must be an event id like 1764698400000-0');
    let stream;
    try {
      stream = await this.streams.open(id, who, lastEventId);
    } catch (e) {
      if ((e as { getStatus?: () => number }).getStatus?.() === 429)
        void reply.header('retry-after', '5');
      throw e;
    }
    // From here the response is ours: headers the hooks set so far, then the events.
    reply.hijack();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(reply.getHeaders()))
      if (v !== undefined) headers[k] = String(v);
    Object.assign(headers, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx-style proxies: do not buffer the stream
      'x-request-id': req.id,
    });
    stream.pipe(reply.raw, headers, this.streams.track);
  }
}
