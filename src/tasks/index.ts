export { TasksCoreModule, TasksModule } from './tasks.module';
export { TasksService, type SubmitTask } from './tasks.service';
export type { Task, TaskCaller, TaskStatus } from './task.types';
export {
  parsePayload,
  payloadError,
  TaskHandlerProvider,
  type TaskContext,
  type TaskHandler,
} from './handlers/task-handler';
