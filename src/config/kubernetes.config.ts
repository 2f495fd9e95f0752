import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ConfigError, parseEnv } from './env.schema';
import { loadEnv } from './load-env';

/**
 * How to reach the Kubernetes API (infra/kubernetes): auth mode, the EKS cluster for K8S_AUTH=eks,
 * the per-request deadline. What the eks feature may do there is eks.config.ts (docs/eks.md).
 */
export class KubernetesEnv {
  @IsOptional()
  @Matches(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, { message: 'must be an EKS cluster name' })
  EKS_CLUSTER_NAME?: string;
  @IsOptional()
  @Matches(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'must be an AWS region such as eu-west-1' })
  EKS_REGION?: string;
  /** Tokens are valid 15 minutes: regenerate before 14. */
  @IsInt() @Min(60) @Max(840) EKS_TOKEN_REFRESH_SECONDS = 840;
  @IsInt() @Min(100) @Max(60_000) K8S_REQUEST_TIMEOUT_MS = 5000;
}

export const kubernetesConfig = registerAs('kubernetes', () => {
  const { K8S_AUTH, KUBECONFIG, AWS_REGION } = loadEnv();
  const e = parseEnv(KubernetesEnv);
  const region = e.EKS_REGION ?? AWS_REGION;
  if (K8S_AUTH === 'eks' && !e.EKS_CLUSTER_NAME) {
    throw new ConfigError('Invalid configuration: EKS_CLUSTER_NAME is required when K8S_AUTH=eks');
  }
  if (K8S_AUTH === 'eks' && !region) {
    throw new ConfigError(
      'Invalid configuration: EKS_REGION (or AWS_REGION) is required when K8S_AUTH=eks',
    );
  }
  return {
    auth: K8S_AUTH,
    kubeconfig: KUBECONFIG,
    cluster: {
      name: e.EKS_CLUSTER_NAME,
      region,
      tokenRefreshMs: e.EKS_TOKEN_REFRESH_SECONDS * 1000,
      requestTimeoutMs: e.K8S_REQUEST_TIMEOUT_MS,
    },
  };
});
export type KubernetesConfig = ReturnType<typeof kubernetesConfig>;
