import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQuery } from './dto/list-tasks.query';
import { TaskIdParams } from './dto/task-id.params';
import { TaskDto, TaskPageDto, TaskTypesDto } from './dto/task.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiUnauthorizedResponse({ description: 'Missing or invalid X-API-Key' })
@ApiBadRequestResponse({ description: 'Invalid input; the field is named' })
@ApiServiceUnavailableResponse({ description: 'Redis is unavailable; retry later' })
@Controller('v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiOperation({
    summary: 'Submit a task',
    description:
      'Queues a task for the workers. Priority 1 is the highest (runs first) and 10 the lowest; default 5. ' +
      'With a client `id`, submitting the same body again answers 200 with the existing task, and a different body 409.',
  })
  @ApiAcceptedResponse({ type: TaskDto, description: 'Queued; `Location` points at the task' })
  @ApiOkResponse({ type: TaskDto, description: 'Same id and body as an existing task: that task' })
  @ApiConflictResponse({ description: 'A task with this id exists with a different body' })
  async create(@Body() body: CreateTaskDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TaskDto> {
    const { task, created } = await this.tasks.submit(body);
    void reply.status(created ? 202 : 200).header('location', `/v1/tasks/${encodeURIComponent(task.id)}`);
    return task;
  }

  @Get()
  @ApiOperation({
    summary: 'List tasks, a page at a time',
    description:
      'Ordered by status (queued, delayed, active, completed, failed), then within a status by priority/FIFO, due time or finish time. ' +
      'Follow `nextCursor` until it is null. A page may hold fewer than `limit` items when a `type` filter skips many.',
  })
  @ApiOkResponse({ type: TaskPageDto })
  list(@Query() q: ListTasksQuery): Promise<TaskPageDto> {
    return this.tasks.list(q);
  }

  @Get('types')
  @ApiOperation({ summary: 'Registered task types' })
  @ApiOkResponse({ type: TaskTypesDto })
  types(): TaskTypesDto {
    return { types: this.tasks.types };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a task' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No such task (or it aged out of retention)' })
  get(@Param() { id }: TaskIdParams): Promise<TaskDto> {
    return this.tasks.get(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a queued, delayed or finished task' })
  @ApiOkResponse({ type: TaskDto, description: 'The task as it was before deletion' })
  @ApiNotFoundResponse({ description: 'No such task' })
  @ApiConflictResponse({ description: 'The task is active' })
  remove(@Param() { id }: TaskIdParams): Promise<TaskDto> {
    return this.tasks.remove(id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a failed task again, with a fresh round of attempts' })
  @ApiAcceptedResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No such task' })
  @ApiConflictResponse({ description: 'The task is not failed' })
  retry(@Param() { id }: TaskIdParams): Promise<TaskDto> {
    return this.tasks.retry(id);
  }
}
