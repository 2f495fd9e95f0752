import { Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors, validationFailed } from '../../common/errors/validation';
import { isPlainObject } from '../../common/primitives/objects';
import { CompleteBatchDto, MAX_COMPLETE_BATCH } from '../dto/lease.dto';
import { TASK_ID_PATTERN } from '../task.types';
import { LEASE_TOKEN_PATTERN } from './task-leases.service';

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

/**
 * Validates the batch complete body as the global pipe would with CompleteBatchDto (same
 * messages, `items.<i>.<field>`), but a body in the common shape is checked by hand: a worker
 * completes every lease this way, and class-transformer + class-validator on nested items were
 * ~5 % of the app's CPU in the external-workers benchmark.
 */
@Injectable()
export class CompleteBatchPipe implements PipeTransform<unknown, CompleteBatchInput> {
  transform(value: unknown): CompleteBatchInput {
    if (value !== undefined && !isPlainObject(value))
      throw validationFailed([{ field: 'body', messages: ['body must be a JSON object'] }]);
    const body = (value ?? {}) as Record<string, unknown>;
    const items = body.items;
    const common =
      Object.keys(body).length === 1 &&
      Array.isArray(items) &&
      items.length >= 1 &&
      items.length <= MAX_COMPLETE_BATCH &&
      items.every(isCommonItem);
    if (common) return body as unknown as CompleteBatchInput;
    const dto = plainToInstance(CompleteBatchDto, body);
    const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw validationFailed(flattenValidationErrors(errors));
    return dto;
  }
}
