import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeys } from './auth/api-keys';
import { AllExceptionsFilter } from './errors/all-exceptions.filter';
import { ShutdownState } from './lifecycle/shutdown.state';

@Global()
@Module({
  providers: [
    ApiKeys,
    ShutdownState,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
  exports: [ApiKeys, ShutdownState],
})
export class CommonModule {}
