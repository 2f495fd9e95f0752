import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
} from '@nestjs/common';
import type { FieldError } from './error-body';

/** Flattens nested class-validator errors into `field.path: messages`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/** A 400 in the common shape: the message and `errors` name each invalid field. */
export function validationFailed(fields: FieldError[]): BadRequestException {
  return new BadRequestException({
    message: `Validation failed: ${fields.map((f) => `${f.field} (${f.messages.join(', ')})`).join('; ')}`,
    code: 'VALIDATION_FAILED',
    errors: fields,
  });
}

/** A 400 naming one field: the same shape as any other validation failure. */
export const invalidField = (field: string, message: string): BadRequestException =>
  validationFailed([{ field, messages: [message] }]);

/** Also refuses a body that is JSON but not an object (`null`, an array, a number) for a DTO. */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto =
      metadata.type === 'body' &&
      typeof metadata.metatype === 'function' &&
      metadata.metatype !== Object;
    if (
      isDto &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw invalidField('body', 'body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}

export const validationPipe = () =>
  new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => validationFailed(flattenValidationErrors(errors)),
  });
