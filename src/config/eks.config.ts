import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DNS_LABEL } from '../common/primitives/patterns';
import { ConfigError, parseEnv } from './env.schema';

const CPU = /^(\d+m|\d+(\.\d{1,3})?)$/;
const MEMORY = /^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Variables of the jobs/namespaces policy (docs/eks.md lists them). */
export class EksEnv {
  @Matches(DNS_LABEL, { message: 'must be a DNS-1123 label' }) K8S_SELF_NAMESPACE = 'platform-api';
  @IsOptional() @IsString() K8S_NAMESPACE_ALLOWLIST?: string;
  @IsOptional() @IsString() JOB_IMAGE_ALLOWLIST?: string;

  @Matches(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    message: 'must be a DNS-1123 label of at most 40 characters',
  })
  JOB_NAME_PREFIX = 'job';
  @IsInt() @Min(1) @Max(2_147_483_647) JOB_RUN_AS_USER = 65532;
  @Matches(CPU, { message: 'must be a CPU quantity such as 100m or 1' }) JOB_DEFAULT_CPU = '100m';
  @Matches(MEMORY, { message: 'must be a memory quantity such as 128Mi' }) JOB_DEFAULT_MEMORY =
    '128Mi';
  @Matches(CPU, { message: 'must be a CPU quantity such as 100m or 1' }) JOB_MAX_CPU = '2';
  @Matches(MEMORY, { message: 'must be a memory quantity such as 128Mi' }) JOB_MAX_MEMORY = '2Gi';
  @IsInt() @Min(0) @Max(100) JOB_BACKOFF_LIMIT_DEFAULT = 0;
  @IsInt() @Min(0) @Max(100) JOB_BACKOFF_LIMIT_MAX = 6;
  @IsInt() @Min(1) @Max(604_800) JOB_ACTIVE_DEADLINE_DEFAULT_SECONDS = 3600;
  @IsInt() @Min(1) @Max(604_800) JOB_ACTIVE_DEADLINE_MAX_SECONDS = 86_400;
  @IsInt() @Min(0) @Max(2_592_000) JOB_TTL_AFTER_FINISHED_DEFAULT_SECONDS = 3600;
  @IsInt() @Min(0) @Max(2_592_000) JOB_TTL_AFTER_FINISHED_MAX_SECONDS = 604_800;
  @IsInt() @Min(1) @Max(100_000) JOB_LOG_TAIL_LINES_DEFAULT = 100;
  @IsInt() @Min(1) @Max(100_000) JOB_LOG_TAIL_LINES_MAX = 1000;
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024) JOB_LOG_LIMIT_BYTES = 256 * 1024;
  @IsInt() @Min(1) @Max(50) JOB_LOG_MAX_PODS = 5;
}

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function atMost(name: string, value: number, maxName: string, max: number): void {
  if (value > max)
    throw new ConfigError(`Invalid configuration: ${name} must not exceed ${maxName} (${max})`);
}

export const eksConfig = registerAs('eks', () => {
  const e = parseEnv(EksEnv);
  atMost(
    'JOB_BACKOFF_LIMIT_DEFAULT',
    e.JOB_BACKOFF_LIMIT_DEFAULT,
    'JOB_BACKOFF_LIMIT_MAX',
    e.JOB_BACKOFF_LIMIT_MAX,
  );
  atMost(
    'JOB_ACTIVE_DEADLINE_DEFAULT_SECONDS',
    e.JOB_ACTIVE_DEADLINE_DEFAULT_SECONDS,
    'JOB_ACTIVE_DEADLINE_MAX_SECONDS',
    e.JOB_ACTIVE_DEADLINE_MAX_SECONDS,
  );
  atMost(
    'JOB_TTL_AFTER_FINISHED_DEFAULT_SECONDS',
    e.JOB_TTL_AFTER_FINISHED_DEFAULT_SECONDS,
    'JOB_TTL_AFTER_FINISHED_MAX_SECONDS',
    e.JOB_TTL_AFTER_FINISHED_MAX_SECONDS,
  );
  atMost(
    'JOB_LOG_TAIL_LINES_DEFAULT',
    e.JOB_LOG_TAIL_LINES_DEFAULT,
    'JOB_LOG_TAIL_LINES_MAX',
    e.JOB_LOG_TAIL_LINES_MAX,
  );
  const badNs = list(e.K8S_NAMESPACE_ALLOWLIST).find((n) => !DNS_LABEL.test(n));
  if (badNs !== undefined) {
    throw new ConfigError(
      'Invalid configuration: K8S_NAMESPACE_ALLOWLIST must list DNS-1123 labels',
    );
  }
  return {
    selfNamespace: e.K8S_SELF_NAMESPACE,
    namespaceAllowlist: list(e.K8S_NAMESPACE_ALLOWLIST),
    imageAllowlist: list(e.JOB_IMAGE_ALLOWLIST),
    job: {
      namePrefix: e.JOB_NAME_PREFIX,
      runAsUser: e.JOB_RUN_AS_USER,
      defaultCpu: e.JOB_DEFAULT_CPU,
      defaultMemory: e.JOB_DEFAULT_MEMORY,
      maxCpu: e.JOB_MAX_CPU,
      maxMemory: e.JOB_MAX_MEMORY,
      backoffLimit: { default: e.JOB_BACKOFF_LIMIT_DEFAULT, max: e.JOB_BACKOFF_LIMIT_MAX },
      activeDeadlineSeconds: {
        default: e.JOB_ACTIVE_DEADLINE_DEFAULT_SECONDS,
        max: e.JOB_ACTIVE_DEADLINE_MAX_SECONDS,
      },
      ttlSecondsAfterFinished: {
        default: e.JOB_TTL_AFTER_FINISHED_DEFAULT_SECONDS,
        max: e.JOB_TTL_AFTER_FINISHED_MAX_SECONDS,
      },
    },
    logs: {
      tailLinesDefault: e.JOB_LOG_TAIL_LINES_DEFAULT,
      tailLinesMax: e.JOB_LOG_TAIL_LINES_MAX,
      limitBytes: e.JOB_LOG_LIMIT_BYTES,
      maxPods: e.JOB_LOG_MAX_PODS,
    },
  };
});
export type EksConfig = ReturnType<typeof eksConfig>;
/** The part of EksConfig the pure job policy and builder need. */
export type JobPolicyConfig = Pick<
  EksConfig,
  'selfNamespace' | 'namespaceAllowlist' | 'imageAllowlist' | 'job'
>;
