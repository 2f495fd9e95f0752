import { Injectable, type PipeTransform } from '@nestjs/common';
import { validationFailed, validationPipe } from '../../common/errors/validation';
import { isPlainObject } from '../../common/primitives/objects';
import {
  CompleteBatchDto,
  LeaseTasksDto,
  MAX_COMPLETE_BATCH,
  TYPE_PATTERN,
} from '../dto/lease.dto';
import { TASK_ID_PATTERN } from '../task.types';
import { LEASE_TOKEN_PATTERN, type LeaseRequest } from './task-leases.service';

/** The validated body of POST /v1/tasks/complete (an interface: the global pipe leaves it alone). */
export interface CompleteBatchInput {
  items: Array<{ id: string; leaseToken: string; result?: unknown }>;
}

const ITEM_KEYS = new Set(['id', 'leaseToken', 'result']);

/** Accepts only what CompleteItemDto surely accepts; anything else goes to class-validator. */
function isCommonItem(item: unknown): boolean {
  if (!isPlainObject(item)) return false;
  for (const key in item) if (!ITEM_KEYS.has(key)) return false;
  const { id, leaseToken } = item;
  return (
    typeof id === 'string' &&
    TASK_ID_PATTERN.test(id) &&
    typeof leaseToken === 'string' &&
    LEASE_TOKEN_PATTERN.test(leaseToken)
  );
}

/** The global validation pipe: a body off the common shape gets its messages and field paths. */
const standardPipe = validationPipe();
const standard = async <T>(dto: new () => object, body: unknown): Promise<T> =>
  (await standardPipe.transform(body, { type: 'body', metatype: dto })) as T;

function objectBody(value: unknown): Record<string, unknown> {
  if (value !== undefined && !isPlainObject(value))
    throw validationFailed([{ field: 'body', messages: ['body must be a JSON object'] }]);
  return (value ?? {}) as Record<string, unknown>;
}

/**
 * Validates the batch complete body as the global pipe would with CompleteBatchDto (same
 * messages, `items.<i>.<field>`), but a body in the common shape is checked by hand: a worker
 * completes every lease this way, and class-transformer + class-validator on nested items were
 * ~5 % of the app's CPU in the external-workers benchmark.
 */
@Injectable()
export class CompleteBatchPipe implements PipeTransform<unknown, Promise<CompleteBatchInput>> {
  async transform(value: unknown): Promise<CompleteBatchInput> {
    const body = objectBody(value);
    const items = body.items;
    const common =
      Object.keys(body).length === 1 &&
      Array.isArray(items) &&
      items.length >= 1 &&
      items.length <= MAX_COMPLETE_BATCH &&
      items.every(isCommonItem);
    if (common) return body as unknown as CompleteBatchInput;
    return standard<CompleteBatchInput>(CompleteBatchDto, body);
  }
}

const LEASE_KEYS = new Set(['types', 'max', 'waitSeconds', 'leaseSeconds']);
const intIn = (v: unknown, min: number, max: number): boolean =>
  v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);

/** The lease body: checked by hand in the common shape (every poll of every worker), else LeaseTasksDto. */
@Injectable()
export class LeaseBodyPipe implements PipeTransform<unknown, Promise<LeaseRequest>> {
  async transform(value: unknown): Promise<LeaseRequest> {
    const body = objectBody(value);
    const types = body.types;
    let common =
      Array.isArray(types) &&
      types.length >= 1 &&
      types.length <= 20 &&
      types.every((t) => typeof t === 'string' && TYPE_PATTERN.test(t)) &&
      intIn(body.max, 1, 100) &&
      intIn(body.waitSeconds, 0, 20) &&
      intIn(body.leaseSeconds, 5, 3600);
    for (const key in body) if (!LEASE_KEYS.has(key)) common = false;
    if (common) return body as unknown as LeaseRequest;
    return standard<LeaseRequest>(LeaseTasksDto, body);
  }
}
