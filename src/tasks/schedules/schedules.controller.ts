import { Body, Controller, Delete, Get, Param, Post, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  CreateScheduleDto,
  ScheduleDto,
  ScheduleListDto,
  ScheduleNameParams,
} from './schedule.dto';
import { SchedulesService } from './schedules.service';
import { Caller } from '../../common/auth/caller.decorator';
import { RequireScope } from '../../common/auth/scope.decorator';
import { checkType } from '../task-access';
import type { TaskCaller } from '../task.types';
import { TaskRouteErrors } from '../tasks.errors.decorator';

@ApiTags('schedules')
@TaskRouteErrors()
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: SchedulesService) {}

  @RequireScope('tasks:write')
  @Post()
  @ApiOperation({
    summary: 'Create a recurring task',
    description:
      'A BullMQ job scheduler: exactly one task per tick however many replicas run. Exactly one of `cron` (with `tz`) and `everyMs`. ' +
      '`name` is the id: the same body again answers 200 with the schedule; a different body is 409 (delete it first).',
  })
  @ApiCreatedResponse({ type: ScheduleDto, description: 'Created' })
  @ApiOkResponse({ type: ScheduleDto, description: 'Already existed with the same body' })
  @ApiConflictResponse({ description: 'SCHEDULE_CONFLICT: the name is taken by another body' })
  async create(
    @Body() body: CreateScheduleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Caller() who: TaskCaller,
  ): Promise<ScheduleDto> {
    checkType(who, body.task.type, 'task.type'); // the ticks' tasks are of this type
    const { schedule, created } = await this.schedules.create(body);
    void reply
      .status(created ? 201 : 200)
      .header('location', `/v1/schedules/${encodeURIComponent(schedule.name)}`);
    return schedule;
  }

  @RequireScope('tasks:read')
  @Get()
  @ApiOperation({ summary: 'List schedules with their next run times' })
  @ApiOkResponse({ type: ScheduleListDto })
  async list(): Promise<ScheduleListDto> {
    return { items: await this.schedules.list() };
  }

  @RequireScope('tasks:read')
  @Get(':name')
  @ApiOperation({ summary: 'Read a schedule and its next run times' })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiNotFoundResponse({ description: 'No such schedule' })
  get(@Param() { name }: ScheduleNameParams): Promise<ScheduleDto> {
    return this.schedules.get(name);
  }

  @RequireScope('tasks:write')
  @Delete(':name')
  @ApiOperation({ summary: 'Delete a schedule: no further task is created' })
  @ApiOkResponse({ type: ScheduleDto, description: 'The schedule as it was' })
  @ApiNotFoundResponse({ description: 'No such schedule' })
  remove(@Param() { name }: ScheduleNameParams): Promise<ScheduleDto> {
    return this.schedules.remove(name);
  }
}
