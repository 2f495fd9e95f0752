export { CounterModule } from './counter.module';
export { CounterService, type CounterValue } from './counter.service';
