export { TasksCoreModule, TasksModule } from './tasks.module';
export { TasksService, type SubmitTask } from './tasks.service';
export type { Task, TaskStatus } from './task.types';
export { EPHEMERAL_TYPE } from './handlers/ephemeral.handler';
