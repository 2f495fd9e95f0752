import { Module, type DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config';
import { CounterController } from './counter.controller';
import { CounterService } from './counter.service';

const byRole = new Map<AppRole, DynamicModule>();

/**
 * Counters. The service is provided and exported in every role (other features use it); the
 * controller only where the API is served. One module object per role: Nest tells dynamic
 * modules apart by reference, so importing it from several places must not register twice.
 */
@Module({})
export class CounterModule {
  static forRole(role: AppRole): DynamicModule {
    let mod = byRole.get(role);
    if (!mod) {
      mod = {
        module: CounterModule,
        providers: [CounterService],
        exports: [CounterService],
        controllers: role !== 'worker' ? [CounterController] : [],
      };
      byRole.set(role, mod);
    }
    return mod;
  }
}
