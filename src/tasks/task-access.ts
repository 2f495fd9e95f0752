import { HttpStatus } from '@nestjs/common';
import { appError } from '../common/errors/error-codes';
import { taskTypeAllowed } from '../config';
import type { TaskCaller } from './task.types';

/** The caller may use tasks of this type (a key without `taskTypes`: every type). */
export const typeAllowed = (who: TaskCaller | undefined, type: string): boolean =>
  !who?.taskTypes || taskTypeAllowed(who.taskTypes, type);

/** 403 for a type outside the key's `taskTypes`, naming the field that carried it. */
export const typeForbidden = (who: TaskCaller, type: string, field: string) =>
  appError(
    HttpStatus.FORBIDDEN,
    'AUTH_TASK_TYPE_FORBIDDEN',
    `API key ${who.id} may not use task type ${type} (its taskTypes: ${who.taskTypes?.patterns.join(', ')})`,
    { taskType: type, field },
  );

/** Throws unless the caller may use this type. */
export function checkType(who: TaskCaller | undefined, type: string, field: string): void {
  if (who && !typeAllowed(who, type)) throw typeForbidden(who, type, field);
}
