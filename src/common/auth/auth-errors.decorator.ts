import { SetMetadata } from '@nestjs/common';

export const AUTH_ERRORS = 'platform:authErrors';

/** Bodies a legacy (compat) route answers instead of the common error shape. */
export interface LegacyAuthErrors {
  missing: { status: number; body: unknown };
  invalid: { status: number; body: unknown };
  /** The 403 body when the key lacks the route's scope. */
  forbidden?: (scope: string) => unknown;
}

export const AuthErrors = (errors: LegacyAuthErrors) => SetMetadata(AUTH_ERRORS, errors);
