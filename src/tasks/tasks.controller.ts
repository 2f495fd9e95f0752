import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQuery } from './dto/list-tasks.query';
import { TaskIdParams } from './dto/task-id.params';
import { TaskDto, TaskPageDto, TaskTypesDto } from './dto/task.dto';
import { CreateTaskBatchDto, TaskBatchDto } from './dto/task-batch.dto';
import { TaskBatchPipe, type TaskBatchInput } from './task-batch.pipe';
import { MAX_BATCH, type TaskCaller } from './task.types';
import { Caller } from '../common/auth/caller.decorator';
import { TasksService, type SubmitTask } from './tasks.service';
import { CreateTaskPipe } from './create-task.pipe';
import { RequireScope } from '../common/auth/scope.decorator';
import { TaskRouteErrors } from './tasks.errors.decorator';

@ApiTags('tasks')
@TaskRouteErrors()
@ApiNotFoundResponse({ description: "No such task, or another key's task (never revealed)" })
@Controller('v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @RequireScope('tasks:write')
  @ApiOperation({
    summary: 'Submit a task',
    description:
      'Queues a task for the workers. Priority 1 is the highest (runs first) and 10 the lowest; default 5. ' +
      'With a client `id`, submitting the same body again answers 200 with the existing task, and a different body 409.',
  })
  @ApiBody({ type: CreateTaskDto })
  @ApiAcceptedResponse({ type: TaskDto, description: 'Queued; `Location` points at the task' })
  @ApiOkResponse({ type: TaskDto, description: 'Same id and body as an existing task: that task' })
  @ApiConflictResponse({ description: 'A task with this id exists with a different body' })
  async create(
    // An interface type, so the global pipe skips it: CreateTaskPipe validates.
    @Body(CreateTaskPipe) body: SubmitTask,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Caller() who: TaskCaller,
  ): Promise<TaskDto> {
    const { task, created } = await this.tasks.submit(body, who);
    void reply
      .status(created ? 202 : 200)
      .header('location', `/v1/tasks/${encodeURIComponent(task.id)}`);
    return task;
  }

  @Post('batch')
  @RequireScope('tasks:write')
  @ApiOperation({
    summary: `Submit 1 to ${MAX_BATCH} tasks in one request`,
    description:
      'Each item is a POST /v1/tasks body and is validated the same way before anything is queued; errors name the item (`tasks.3.payload.ms`). ' +
      'All or nothing: if any item is invalid, repeats a client `id` of the batch, or has a client `id` already used with a different body, ' +
      'the answer is 400 or 409 and no task is queued; otherwise the new tasks are queued in one Redis transaction. ' +
      'An item whose client `id` exists with the same body answers that task with `created: false`, so replaying a whole batch is safe. ' +
      'The body must also fit within BODY_LIMIT_BYTES (1 MiB by default). Each created task counts in tasks_submitted_total.',
  })
  @ApiBody({ type: CreateTaskBatchDto })
  @ApiAcceptedResponse({
    type: TaskBatchDto,
    description: 'At least one task was created; `items` follow the request order',
  })
  @ApiOkResponse({
    type: TaskBatchDto,
    description: 'Every task already existed with the same body (a replay)',
  })
  @ApiConflictResponse({
    description:
      'Client ids already used with a different body, named in the message and `ids`: nothing was queued. ' +
      'Rarely, a concurrent request takes an id between the check and the insert: then the message says the other tasks were queued.',
  })
  async createBatch(
    @Body(TaskBatchPipe) body: TaskBatchInput,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Caller() who: TaskCaller,
  ): Promise<TaskBatchDto> {
    const items = await this.tasks.submitBatch(body.tasks, who);
    void reply.status(items.some((i) => i.created) ? 202 : 200);
    return { items };
  }

  @Get()
  @RequireScope('tasks:read')
  @ApiOperation({
    summary: 'List tasks, a page at a time',
    description:
      'Ordered by status (queued, delayed, active, completed, failed), then within a status by priority/FIFO, due time or finish time. ' +
      'Follow `nextCursor` until it is null. A page may hold fewer than `limit` items when a `type` filter skips many. ' +
      'Tasks of built-in and external types are listed together.',
  })
  @ApiOkResponse({ type: TaskPageDto })
  list(@Query() q: ListTasksQuery, @Caller() who: TaskCaller): Promise<TaskPageDto> {
    return this.tasks.list(q, who);
  }

  @Get('types')
  @RequireScope('tasks:read')
  @ApiOperation({ summary: 'Registered task types' })
  @ApiOkResponse({ type: TaskTypesDto })
  types(): TaskTypesDto {
    return { types: this.tasks.types };
  }

  @Get(':id')
  @RequireScope('tasks:read')
  @ApiOperation({ summary: 'Read a task' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No such task (or it aged out of retention)' })
  get(@Param() { id }: TaskIdParams, @Caller() who: TaskCaller): Promise<TaskDto> {
    return this.tasks.get(id, who);
  }

  @Delete(':id')
  @RequireScope('tasks:write')
  @ApiOperation({ summary: 'Delete a queued, delayed or finished task' })
  @ApiOkResponse({ type: TaskDto, description: 'The task as it was before deletion' })
  @ApiNotFoundResponse({ description: 'No such task' })
  @ApiConflictResponse({ description: 'The task is active' })
  remove(@Param() { id }: TaskIdParams, @Caller() who: TaskCaller): Promise<TaskDto> {
    return this.tasks.remove(id, who);
  }

  @Post(':id/retry')
  @RequireScope('tasks:write')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a failed task again, with a fresh round of attempts' })
  @ApiAcceptedResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No such task' })
  @ApiConflictResponse({ description: 'The task is not failed' })
  retry(@Param() { id }: TaskIdParams, @Caller() who: TaskCaller): Promise<TaskDto> {
    return this.tasks.retry(id, who);
  }
}
