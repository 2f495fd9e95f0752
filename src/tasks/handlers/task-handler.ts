import { DiscoveryService } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  flattenValidationErrors,
  invalidField,
  validationFailed,
} from '../../common/errors/validation';

/** What a handler sees of the job it runs. */
export interface TaskContext {
  id: string;
  /** 1 on the first run; counts every start, including runs after a manual retry. */
  run: number;
  progress(value: number): Promise<void>;
}

/**
 * A built-in task type: a provider marked `@TaskHandlerProvider()`, in the providers of any module
 * of the app (usually the core module of the feature it belongs to). TaskRegistry discovers them.
 */
export interface TaskHandler<P = unknown> {
  readonly type: string;
  readonly description: string;
  /** Validates and normalises a payload at submission; throws 400 naming `payload.<field>`. */
  parse(payload: unknown): P;
  run(payload: P, ctx: TaskContext): Promise<unknown>;
}

export const payloadError = invalidField;

/** Validates an object payload against a class-validator class, like the global pipe does for bodies. */
export function parsePayload<T extends object>(cls: new () => T, payload: unknown): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw payloadError('payload', 'payload must be an object');
  }
  const value = plainToInstance(cls, payload, { exposeDefaultValues: true });
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw validationFailed(flattenValidationErrors(errors, 'payload'));
  return { ...value };
}

/**
 * Marks a class as a task handler. Any module may contribute one by listing the class in its
 * providers: TaskRegistry finds every provider carrying this mark through Nest's DiscoveryService,
 * so the tasks feature imports no feature and a new handler is one file in its own feature.
 */
export const TaskHandlerProvider = DiscoveryService.createDecorator<void>();
