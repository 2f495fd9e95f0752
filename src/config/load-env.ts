import { validateEnv, type Env } from './env.schema';

/** The validated environment. Re-read on each call so tests can change process.env between apps. */
export const loadEnv = (): Env => validateEnv(process.env);
