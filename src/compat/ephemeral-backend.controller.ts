import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RawBodyException } from '../common/errors/raw-body.exception';
import { Caller } from '../common/auth/caller.decorator';
import { TasksService, type Task, type TaskCaller } from '../tasks';

import {
  EphemeralCreated,
  EphemeralDetail,
  EphemeralMessage,
  EphemeralTaskBody,
  EphemeralTaskIdParams,
  EphemeralTaskList,
  EphemeralTaskView,
} from './dto/ephemeral-task.dto';
import { RequireScope } from '../common/auth/scope.decorator';
import { EPHEMERAL_TYPE } from './ephemeral.handler';

/** ephemeral-backend task ids live under their own prefix (BullMQ refuses all-digit ids like "123"). */
const jobId = (taskId: string) => `eb-${taskId}`;
const STATUS = {
  queued: 'pending',
  delayed: 'pending',
  active: 'processing',
  completed: 'completed',
  failed: 'failed',
};
/** GET /tasks returns at most this many (the seed returned everything it held in memory). */
const LIST_CAP = 1000;

const notFound = () => new RawBodyException(404, { detail: 'Task not found' });
const view = (t: Task): EphemeralTaskView => ({
  task_id: t.id.slice(3),
  status: STATUS[t.status],
  result: t.result ?? null,
});

/**
 * ephemeral-backend's `/tasks`, now durable on BullMQ: tasks survive pods and restarts, a
 * duplicate task_id is 409 (the seed overwrote it) and `priority` is honoured.
 */
@ApiTags('compat: ephemeral-backend')
@ApiBadRequestResponse({ description: 'Invalid input; the field is named' })
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable; retry later' })
@Controller('tasks')
export class EphemeralBackendController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @RequireScope('tasks:write')
  @HttpCode(200)
  @ApiOperation({
    deprecated: true,
    summary: 'Create a task (ephemeral-backend); use POST /v1/tasks',
  })
  @ApiOkResponse({ type: EphemeralCreated })
  @ApiConflictResponse({
    type: EphemeralDetail,
    description: 'A task with this task_id exists: `{"detail":"Task already exists"}`',
  })
  async create(
    @Body() body: EphemeralTaskBody,
    @Caller() who: TaskCaller,
  ): Promise<EphemeralCreated> {
    const payload = { task_id: body.task_id, data: body.data ?? {} };
    const priority = Math.min(10, Math.max(1, body.priority ?? 5));
    try {
      const { created } = await this.tasks.submit(
        {
          type: EPHEMERAL_TYPE,
          id: jobId(body.task_id),
          payload,
          priority,
        },
        who,
      );
      if (!created) throw new ConflictException();
    } catch (e) {
      if (e instanceof ConflictException)
        throw new RawBodyException(409, { detail: 'Task already exists' });
      throw e;
    }
    return {
      task_id: body.task_id,
      status: 'accepted',
      message: 'Task created successfully',
      result: null,
    };
  }

  @Get()
  @RequireScope('tasks:read')
  @ApiOperation({
    deprecated: true,
    summary: `List tasks (ephemeral-backend), up to ${LIST_CAP}; use GET /v1/tasks`,
  })
  @ApiOkResponse({ type: EphemeralTaskList })
  async list(@Caller() who: TaskCaller): Promise<EphemeralTaskList> {
    const tasks: EphemeralTaskView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.tasks.list({ type: EPHEMERAL_TYPE, limit: 100, cursor }, who);
      tasks.push(...page.items.map(view));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && tasks.length < LIST_CAP);
    return { tasks: tasks.slice(0, LIST_CAP), count: Math.min(tasks.length, LIST_CAP) };
  }

  @Get(':task_id')
  @RequireScope('tasks:read')
  @ApiOperation({
    deprecated: true,
    summary: 'Task status (ephemeral-backend); use GET /v1/tasks/:id',
  })
  @ApiOkResponse({ type: EphemeralTaskView })
  @ApiNotFoundResponse({
    type: EphemeralDetail,
    description: 'No such task: `{"detail":"Task not found"}`',
  })
  async get(
    @Param() { task_id }: EphemeralTaskIdParams,
    @Caller() who: TaskCaller,
  ): Promise<EphemeralTaskView> {
    return view(await this.find(task_id, () => this.tasks.get(jobId(task_id), who)));
  }

  @Delete(':task_id')
  @RequireScope('tasks:write')
  @ApiOperation({
    deprecated: true,
    summary: 'Delete a task (ephemeral-backend); use DELETE /v1/tasks/:id',
  })
  @ApiOkResponse({ type: EphemeralMessage })
  @ApiNotFoundResponse({
    type: EphemeralDetail,
    description: 'No such task: `{"detail":"Task not found"}`',
  })
  @ApiConflictResponse({
    type: EphemeralDetail,
    description:
      'The task is processing: `{"detail":"Task is processing; delete it once it finishes"}`',
  })
  async remove(
    @Param() { task_id }: EphemeralTaskIdParams,
    @Caller() who: TaskCaller,
  ): Promise<EphemeralMessage> {
    try {
      await this.find(task_id, () => this.tasks.remove(jobId(task_id), who));
    } catch (e) {
      if (e instanceof ConflictException)
        throw new RawBodyException(409, {
          detail: 'Task is processing; delete it once it finishes',
        });
      throw e;
    }
    return { message: `Task ${task_id} deleted successfully` };
  }

  /** Only this compat type is visible here; anything else under the id is "not found". */
  private async find(taskId: string, op: () => Promise<Task>): Promise<Task> {
    try {
      const task = await op();
      if (task.type !== EPHEMERAL_TYPE) throw notFound();
      return task;
    } catch (e) {
      if (e instanceof NotFoundException) throw notFound();
      throw e;
    }
  }
}
