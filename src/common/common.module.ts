import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeys } from './auth/api-keys';
import { AllExceptionsFilter } from './errors/all-exceptions.filter';
import { KnownRoutes } from './http/known-routes';
import { ShutdownState } from './lifecycle/shutdown.state';
import { AnonymousLimiter } from './rate-limit/anonymous-limiter';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';

@Global()
@Module({
  imports: [RateLimitModule],
  providers: [
    ApiKeys,
    AnonymousLimiter,
    ShutdownState,
    KnownRoutes,
    // Order matters: the limiter runs first so requests with a wrong key are limited per IP.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
  exports: [ApiKeys, ShutdownState, AnonymousLimiter, KnownRoutes],
})
export class CommonModule {}
