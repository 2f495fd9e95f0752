import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import {
  CompleteBatchDto,
  CompleteBatchResultDto,
  CompletedItemDto,
  CompleteTaskDto,
  FailedItemDto,
  FailTaskDto,
  HeartbeatDto,
  HeartbeatResultDto,
  LeaseDto,
  LeaseTasksDto,
} from './dto/lease.dto';
import { TaskIdParams } from './dto/task-id.params';
import { TaskDto } from './dto/task.dto';
import {
  CompleteBatchPipe,
  LeaseBodyPipe,
  type CompleteBatchInput,
} from './external/worker-bodies.pipe';
import { TaskLeases, type LeaseRequest } from './external/task-leases.service';
import { Caller } from '../common/auth/caller.decorator';
import { RequireScope } from '../common/auth/scope.decorator';
import type { TaskCaller } from './task.types';
import { TaskRouteErrors } from './tasks.errors.decorator';

/** Workers outside this service, in any language: lease external tasks, report, finish. */
@ApiTags('task workers')
@ApiExtraModels(CompletedItemDto, FailedItemDto)
@TaskRouteErrors()
@Controller('v1/tasks')
export class TaskWorkersController {
  constructor(private readonly leases: TaskLeases) {}

  @RequireScope('tasks:work')
  @Post('lease')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Lease queued tasks of external types',
    description:
      'Takes up to `max` tasks of the given external types (TASKS_EXTERNAL_TYPES), highest priority first and FIFO ' +
      'within a priority, waiting up to `waitSeconds` for one. Each comes with a `leaseToken`: until `leaseExpiresAt` ' +
      'only that token can heartbeat, complete or fail it; an expired lease puts the task back in the queue (it counts as a run).',
  })
  @ApiOkResponse({
    type: LeaseDto,
    description: 'The leased tasks; `items: []` when the wait ended',
  })
  @ApiBody({ type: LeaseTasksDto })
  async lease(
    @Body(LeaseBodyPipe) body: LeaseRequest,
    @Req() req: FastifyRequest,
    @Caller() who: TaskCaller,
  ): Promise<LeaseDto> {
    const abort = new AbortController();
    req.raw.once('close', () => abort.abort());
    return { items: await this.leases.lease(body, abort.signal, who) };
  }

  // A static path beside `:id/complete`: two segments against three, so neither shadows the other.
  @RequireScope('tasks:work')
  @Post('complete')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Complete many leased tasks at once',
    description:
      'Up to 100 items, each `{ id, leaseToken, result? }` as for `POST /v1/tasks/{id}/complete`, an id at most once. ' +
      'Answers 200 with one outcome per item in request order: `{ id, status: "completed" }`, or `{ id, error: { code, message } }` ' +
      'where `TASK_LEASE_LOST` is a wrong or expired token (nothing changed for that task) and `NOT_FOUND` an id that is no ' +
      'external task of this key. One item failing never stops the others. Lookups and completions each go to Redis in one round trip.',
  })
  @ApiOkResponse({
    type: CompleteBatchResultDto,
    description: 'One outcome per item, in request order (also when some failed)',
  })
  @ApiBody({ type: CompleteBatchDto })
  async completeMany(
    @Body(CompleteBatchPipe) b: CompleteBatchInput,
    @Caller() who: TaskCaller,
  ): Promise<CompleteBatchResultDto> {
    return { items: await this.leases.completeMany(b.items, who) };
  }

  @RequireScope('tasks:work')
  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Extend a lease, optionally reporting progress',
    description:
      'Extends the lease by its length from now; `progress` and `message` are recorded on the task.',
  })
  @ApiOkResponse({ type: HeartbeatResultDto })
  @ApiNotFoundResponse({ description: 'No external task with this id' })
  @ApiConflictResponse({
    description: 'TASK_LEASE_LOST: wrong or expired lease token; nothing changed',
  })
  heartbeat(
    @Param() { id }: TaskIdParams,
    @Body() b: HeartbeatDto,
    @Caller() who: TaskCaller,
  ): Promise<HeartbeatResultDto> {
    return this.leases.heartbeat(id, b.leaseToken, b.progress, b.message, who);
  }

  @RequireScope('tasks:work')
  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Complete a leased task with its result' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No external task with this id' })
  @ApiConflictResponse({
    description: 'TASK_LEASE_LOST: wrong or expired lease token; nothing changed',
  })
  complete(
    @Param() { id }: TaskIdParams,
    @Body() b: CompleteTaskDto,
    @Caller() who: TaskCaller,
  ): Promise<TaskDto> {
    return this.leases.complete(id, b.leaseToken, b.result, who);
  }

  @RequireScope('tasks:work')
  @Post(':id/fail')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Fail a leased task',
    description:
      'retryable (default true): queued again after the backoff while attempts remain; false: failed now.',
  })
  @ApiOkResponse({
    type: TaskDto,
    description: 'The task after the failure (queued, delayed or failed)',
  })
  @ApiNotFoundResponse({ description: 'No external task with this id' })
  @ApiConflictResponse({
    description: 'TASK_LEASE_LOST: wrong or expired lease token; nothing changed',
  })
  fail(
    @Param() { id }: TaskIdParams,
    @Body() b: FailTaskDto,
    @Caller() who: TaskCaller,
  ): Promise<TaskDto> {
    return this.leases.fail(id, b.leaseToken, b.error, b.retryable ?? true, who);
  }
}
