import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { refuseDeepBody, validationPipe } from '../common/errors/validation';
import { isPlainObject } from '../common/primitives/objects';
import { CreateTaskDto } from './dto/create-task.dto';
import { isCommonItem } from './task-batch.pipe';
import type { SubmitTask } from './tasks.service';

/**
 * Validates the POST /v1/tasks body the way TaskBatchPipe validates each batch item: a body in
 * the common shape (the keys CreateTaskDto allows, each surely valid) is checked by hand, and
 * anything else goes through CreateTaskDto with the standard validation pipe, so every error is
 * the same as before. class-transformer + class-validator were ~8 % of this route's CPU.
 */
@Injectable()
export class CreateTaskPipe implements PipeTransform<unknown, Promise<SubmitTask>> {
  private readonly standard = validationPipe();

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<SubmitTask> {
    if (isPlainObject(value) && isCommonItem(value)) {
      refuseDeepBody(value); // the payload is not read here, and the service serializes it
      return value as unknown as SubmitTask;
    }
    return (await this.standard.transform(value, {
      ...metadata,
      metatype: CreateTaskDto,
    })) as SubmitTask;
  }
}
