import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { CounterModule } from '../counter';
import {
  redisConfig,
  tasksConfig,
  type AppRole,
  type RedisConfig,
  type TasksConfig,
} from '../config';
import { BULLMQ_PRODUCER, BullMqConnectionModule, bullPrefix } from '../infra/redis';
import { loadTasksUiEnabled } from './queue-ui.flag';
import { TASK_HANDLERS } from './handlers';
import type { TaskHandler } from './handlers/task-handler';
import { QueueUi } from './queue-ui';
import { TaskRegistry } from './task-registry';
import { TASKS_QUEUE } from './task.types';
import { TasksController } from './tasks.controller';
import { TasksMetrics } from './tasks.metrics';
import { TasksWorker } from './tasks.processor';
import { TasksService } from './tasks.service';

/** One module object per (role, UI flag): Nest tells dynamic modules apart by reference. */
const cache = new Map<string, DynamicModule>();

/**
 * Tasks on BullMQ. The queue (producer) and TasksService exist in every role; the controller
 * and the queue UI where the API is served; the worker in `worker` and `all`.
 */
@Module({})
export class TasksModule {
  static forRole(role: AppRole): DynamicModule {
    const servesApi = role !== 'worker';
    const ui = servesApi && loadTasksUiEnabled();
    const key = `${role}:${ui}`;
    const existing = cache.get(key);
    if (existing) return existing;
    const providers: Provider[] = [
      ...TASK_HANDLERS,
      {
        provide: TaskRegistry,
        inject: TASK_HANDLERS,
        useFactory: (...hs: TaskHandler[]) => new TaskRegistry(hs),
      },
      TasksMetrics,
      TasksService,
    ];
    if (role !== 'api') providers.push(TasksWorker);
    if (ui) providers.push(QueueUi);
    const mod: DynamicModule = {
      module: TasksModule,
      imports: [
        CounterModule.forRole(role),
        BullMqConnectionModule,
        BullModule.registerQueueAsync({
          name: TASKS_QUEUE,
          imports: [BullMqConnectionModule],
          inject: [tasksConfig.KEY, redisConfig.KEY, BULLMQ_PRODUCER],
          useFactory: (cfg: TasksConfig, redis: RedisConfig, producer: unknown) => ({
            name: cfg.queueName,
            connection: producer as never,
            prefix: bullPrefix(redis, cfg.queueName),
          }),
        }),
      ],
      providers,
      controllers: servesApi ? [TasksController] : [],
      exports: [TasksService],
    };
    cache.set(key, mod);
    return mod;
  }
}
