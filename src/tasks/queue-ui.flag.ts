import { parseEnv, TasksEnv } from '../config';

/** QUEUE_UI_ENABLED, read when the module is composed (providers are chosen before DI runs). */
export const loadTasksUiEnabled = (): boolean => parseEnv(TasksEnv).QUEUE_UI_ENABLED;
