import { Module, type DynamicModule } from '@nestjs/common';
import { roleModule } from '../common/modules/role-module';
import type { AppRole } from '../config';
import { CounterIncrementHandler } from './counter-increment.handler';
import { CounterController } from './counter.controller';
import { CounterService } from './counter.service';

/**
 * Counters' services, in every role (compat uses them), and the `counter.increment` task handler,
 * which TaskRegistry discovers wherever this module is part of the app.
 */
@Module({ providers: [CounterService, CounterIncrementHandler], exports: [CounterService] })
export class CounterCoreModule {}

/** Counters on Redis: the controller where the API is served. */
@Module({})
export class CounterModule {
  static forRole(role: AppRole): DynamicModule {
    return roleModule(CounterModule, role, {
      core: CounterCoreModule,
      controllers: [CounterController],
    });
  }
}
