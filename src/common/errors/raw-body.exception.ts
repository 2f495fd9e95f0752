import { HttpException } from '@nestjs/common';

/** An error whose body is sent verbatim: only for compat routes that must keep a seed's shape. */
export class RawBodyException extends HttpException {
  constructor(
    status: number,
    readonly body: unknown,
  ) {
    super(body as Record<string, unknown>, status);
  }
}
