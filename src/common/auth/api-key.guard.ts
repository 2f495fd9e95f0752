import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RawBodyException } from '../errors/raw-body.exception';
import { ApiKeys } from './api-keys';
import { AUTH_ERRORS, type LegacyAuthErrors } from './auth-errors.decorator';
import { IS_PUBLIC } from './public.decorator';

export type AuthedRequest = FastifyRequest & { apiKeyId?: string };

export const MISSING_KEY = 'Missing API key: send it in the X-API-Key header';

/** Global guard: every route needs a valid X-API-Key unless marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const legacy = this.reflector.getAllAndOverride<LegacyAuthErrors>(AUTH_ERRORS, targets);
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const key = req.headers['x-api-key'];
    const id = req.apiKeyId ?? this.keys.identify(key); // the rate limiter may have identified it
    if (id) {
      req.apiKeyId = id; // rate limits and logs use this, never the key
      return true;
    }
    const missing = typeof key !== 'string' || key.length === 0;
    if (legacy) {
      const err = missing ? legacy.missing : legacy.invalid;
      throw new RawBodyException(err.status, err.body);
    }
    throw unauthorized(missing);
  }
}

/** The 401 of a request without a usable key (the filter uses it for unknown paths too). */
export const unauthorized = (missing: boolean): UnauthorizedException =>
  new UnauthorizedException(
    missing
      ? { message: MISSING_KEY, code: 'AUTH_KEY_MISSING' }
      : { message: 'Invalid API key', code: 'AUTH_KEY_INVALID' },
  );
