import { Global, Module } from '@nestjs/common';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { ApiKeys } from './auth/api-keys';
import { AllExceptionsFilter } from './errors/all-exceptions.filter';
import { KnownRoutes } from './http/known-routes';
import { RequestGate } from './http/request-gate';
import { ShutdownState } from './lifecycle/shutdown.state';
import { AnonymousLimiter } from './rate-limit/anonymous-limiter';
import { RateLimiter } from './rate-limit/rate-limiter';
import { RateLimitModule } from './rate-limit/rate-limit.module';

/**
 * Authentication, scopes and rate limits are not Nest guards: RequestGate runs them as one
 * Fastify onRequest step (createApp installs it), which costs a fraction of two global guards.
 */
@Global()
@Module({
  imports: [RateLimitModule, DiscoveryModule],
  providers: [
    ApiKeys,
    AnonymousLimiter,
    ShutdownState,
    KnownRoutes,
    RateLimiter,
    RequestGate,
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
  exports: [ApiKeys, ShutdownState, AnonymousLimiter, KnownRoutes, RequestGate],
})
export class CommonModule {}
