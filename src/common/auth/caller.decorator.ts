import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { KeyIdentity } from '../../config';
import type { AuthedRequest } from './api-key.guard';

/** The identity of the key that made this request (set by ApiKeyGuard; undefined on public routes). */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): KeyIdentity | undefined =>
    ctx.switchToHttp().getRequest<AuthedRequest>().caller,
);
