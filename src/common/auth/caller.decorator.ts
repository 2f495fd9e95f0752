import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { KeyIdentity } from '../../config';
import type { AuthedRequest } from './route-auth';

/** The identity of the key that made this request (set by RequestGate; undefined on public routes). */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): KeyIdentity | undefined =>
    ctx.switchToHttp().getRequest<AuthedRequest>().caller,
);
