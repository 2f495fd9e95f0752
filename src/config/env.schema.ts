import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { toBool } from '../common/primitives/booleans';

export type AppRole = 'all' | 'api' | 'worker';

/** Thrown when the environment is invalid; `message` is one line naming the variable. */
export class ConfigError extends Error {}

export { toBool } from '../common/primitives/booleans';

/**
 * Every environment variable the service reads, with its default. The README's configuration
 * table mirrors this class; keep them in step.
 */
export class Env {
  @IsIn(['development', 'production', 'test']) NODE_ENV = 'production';
  @IsIn(['all', 'api', 'worker']) APP_ROLE: AppRole = 'all';
  @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  /**
   * Port of a second listener that serves only GET /metrics; 0 = /metrics on PORT (local runs).
   * The chart sets it, so the Ingress (which routes PORT) can never expose metrics.
   */
  @IsInt() @Min(0) @Max(65535) METRICS_PORT = 0;
  /** Swagger UI and the OpenAPI document at /docs, /docs-json, /docs-yaml. */
  @Transform(toBool) @IsBoolean() DOCS_ENABLED = true;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @Transform(toBool) @IsBoolean() LOG_REQUESTS = true;
  @IsInt() @Min(1024) @Max(64 * 1024 * 1024) BODY_LIMIT_BYTES = 1024 * 1024;
  @IsInt() @Min(0) @Max(120_000) SHUTDOWN_DELAY_MS = 5000;
  @IsInt() @Min(1000) @Max(600_000) SHUTDOWN_TIMEOUT_MS = 25_000;
  @IsInt() @Min(50) @Max(30_000) HEALTH_CHECK_TIMEOUT_MS = 1000;
  /** Browser origins allowed by CORS, comma-separated; empty = CORS off (API clients need none). */
  @Matches(/^(\s*https?:\/\/[^\s,]+\s*)?(,\s*https?:\/\/[^\s,]+\s*)*$/, {
    message: 'must be a comma-separated list of http(s) origins',
  })
  CORS_ORIGINS = '';

  @IsOptional() @IsString() API_KEYS?: string;
  @IsOptional() @IsString() API_KEYS_FILE?: string;

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';
  @Matches(/^[A-Za-z0-9:_.-]{0,64}$/, { message: 'must be 0-64 chars of [A-Za-z0-9:_.-]' })
  REDIS_KEY_PREFIX = 'platform:';
  @IsInt() @Min(50) @Max(60_000) REDIS_COMMAND_TIMEOUT_MS = 1000;

  @IsOptional() @IsString() AWS_REGION?: string;
  @IsInt() @Min(100) @Max(120_000) AWS_REQUEST_TIMEOUT_MS = 5000;

  @IsIn(['in-cluster', 'kubeconfig', 'eks', 'disabled'])
  K8S_AUTH: 'in-cluster' | 'kubeconfig' | 'eks' | 'disabled' = 'disabled';
  @IsOptional() @IsString() KUBECONFIG?: string;
}

/**
 * Validates `process.env`-like input against one schema class (core here; each feature has its
 * own in `<feature>.config.ts`); throws ConfigError with one line naming the variable.
 */
export function parseEnv<T extends object>(
  schema: new () => T,
  raw: Record<string, unknown> = process.env,
): T {
  const defaults = new schema() as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(defaults).concat(Object.keys(raw))) {
    const value = raw[key];
    if (value === undefined || value === '') continue; // empty = unset, so the default applies
    const numeric = typeof defaults[key] === 'number' && /^-?\d+$/.test(String(value));
    input[key] = numeric ? Number(value) : value;
  }
  const env = plainToInstance(schema, input, { exposeDefaultValues: true });
  const [first] = validateSync(env, { forbidUnknownValues: false });
  if (first) {
    const reason = Object.values(first.constraints ?? {})[0]?.replace(`${first.property} `, '');
    throw new ConfigError(`Invalid configuration: ${first.property} ${reason}`);
  }
  return env;
}

export const validateEnv = (raw: Record<string, unknown>): Env => parseEnv(Env, raw);
