import { CounterIncrementHandler } from './counter-increment.handler';
import { EchoHandler } from './echo.handler';
import { EphemeralHandler } from './ephemeral.handler';
import { SleepHandler } from './sleep.handler';

/** Every task type. Add a handler: one file here implementing TaskHandler, then list it. */
export const TASK_HANDLERS = [EchoHandler, SleepHandler, CounterIncrementHandler, EphemeralHandler];
