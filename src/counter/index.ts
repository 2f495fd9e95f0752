export { CounterCoreModule, CounterModule } from './counter.module';
export { CounterService, type CounterValue } from './counter.service';
