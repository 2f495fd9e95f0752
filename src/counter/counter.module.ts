import { Module, type DynamicModule } from '@nestjs/common';
import { roleModule } from '../common/modules/role-module';
import type { AppRole } from '../config';
import { CounterController } from './counter.controller';
import { CounterService } from './counter.service';

/** Counters' services, in every role (the tasks handler `counter.increment` and compat use them). */
@Module({ providers: [CounterService], exports: [CounterService] })
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
