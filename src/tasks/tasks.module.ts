import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { roleModule } from '../common/modules/role-module';
import {
  redisConfig,
  tasksConfig,
  type AppRole,
  type RedisConfig,
  type TasksConfig,
} from '../config';
import { BULLMQ_PRODUCER, BullMqConnectionModule, bullPrefix } from '../infra/redis';
import { bullTelemetry } from '../observability/tracing/spans';
import { TaskEventStreams } from './events/task-event-streams';
import { TaskEventsController } from './events/task-events.controller';
import { TaskEventsHub } from './events/task-events.hub';
import { ExternalQueues } from './external/external-queues';
import { TaskLeases } from './external/task-leases.service';
import { EchoHandler } from './handlers/echo.handler';
import { SleepHandler } from './handlers/sleep.handler';
import { QueueUi } from './queue-ui';
import { SchedulesController } from './schedules/schedules.controller';
import { SchedulesService } from './schedules/schedules.service';
import { TaskQueues } from './task-queues';
import { TaskRegistry } from './task-registry';
import { TASKS_QUEUE } from './task.types';
import { TaskWorkersController } from './task-workers.controller';
import { TasksController } from './tasks.controller';
import { TasksMetrics } from './tasks.metrics';
import { TasksWorker } from './tasks.processor';
import { TasksService } from './tasks.service';

const queue = BullModule.registerQueueAsync({
  name: TASKS_QUEUE,
  imports: [BullMqConnectionModule],
  inject: [tasksConfig.KEY, redisConfig.KEY, BULLMQ_PRODUCER],
  useFactory: (cfg: TasksConfig, redis: RedisConfig, producer: unknown) => ({
    name: cfg.queueName,
    connection: producer as never,
    prefix: bullPrefix(redis, cfg.queueName),
    // Tracing on: `add` spans, and the W3C context stored in the job (opts.telemetry).
    telemetry: bullTelemetry() as never,
  }),
});

/**
 * In every role: the queue (producer), the registry, tasks' own handlers and TasksService. Other
 * features' handlers live in their own modules (docs/architecture.md, "A task handler").
 */
@Module({
  imports: [DiscoveryModule, BullMqConnectionModule, queue],
  providers: [
    EchoHandler,
    SleepHandler,
    TaskRegistry,
    TaskQueues,
    ExternalQueues,
    TaskLeases,
    SchedulesService,
    TasksMetrics,
    TasksService,
  ],
  exports: [
    queue,
    BullMqConnectionModule,
    TaskRegistry,
    TaskQueues,
    TaskLeases,
    SchedulesService,
    TasksMetrics,
    TasksService,
  ],
})
export class TasksCoreModule {}

export interface TasksModuleOptions {
  /** bull-board at /admin/queues (QUEUE_UI_ENABLED), only where the API is served. */
  queueUi: boolean;
}

/** Tasks on BullMQ: the controller and queue UI with the API, the worker with the workers. */
@Module({})
export class TasksModule {
  static forRole(role: AppRole, opts: TasksModuleOptions): DynamicModule {
    return roleModule(TasksModule, role, {
      core: TasksCoreModule,
      controllers: [
        TasksController,
        TaskEventsController,
        TaskWorkersController,
        SchedulesController,
      ],
      apiProviders: [TaskEventsHub, TaskEventStreams, ...(opts.queueUi ? [QueueUi] : [])],
      workers: [TasksWorker],
    });
  }
}
