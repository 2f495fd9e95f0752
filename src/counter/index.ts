export { CounterCoreModule, CounterModule } from './counter.module';
export { CounterService, type CounterValue } from './counter.service';
export { IDEMPOTENCY_KEY_PATTERN, MAX_BY, NAME_PATTERN, NAME_RULE } from './counter.rules';
