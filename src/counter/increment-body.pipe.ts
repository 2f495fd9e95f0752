import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { validationPipe } from '../common/errors/validation';
import { MAX_BY } from './counter.rules';
import { IncrementCounterDto } from './dto/increment-counter.dto';
import { isPlainObject } from '../common/primitives/objects';

/** The validated increment body (an interface: the global validation pipe leaves it alone). */
export interface IncrementInput {
  by?: number;
}

/**
 * Validates the increment body. This is the hottest route: the shapes almost every request
 * sends (no body, `{}`, `{ "by": <integer in range> }`) are checked by hand, which measured as
 * a sizeable share of the request's CPU when class-transformer/class-validator ran each time;
 * anything else goes through the standard validation pipe, so errors are the same as everywhere.
 */
@Injectable()
export class IncrementBodyPipe implements PipeTransform<unknown, Promise<IncrementInput>> {
  private readonly standard = validationPipe();

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<IncrementInput> {
    if (value === undefined) return {};
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0) return {};
      const by = value.by;
      if (keys.length === 1 && Number.isInteger(by) && Math.abs(by as number) <= MAX_BY) {
        return { by: by as number };
      }
    }
    return (await this.standard.transform(value, {
      ...metadata,
      metatype: IncrementCounterDto,
    })) as IncrementInput;
  }
}
