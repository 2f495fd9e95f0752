import type { KubeConfig } from '@kubernetes/client-node';
import type { EksTokenSource } from './eks-token';

/** A ready KubeConfig, or null when K8S_AUTH=disabled (routes then answer 503). */
export const KUBE_CONFIG = Symbol('KUBE_CONFIG');
export type KubeConfigOrNull = KubeConfig | null;

/** The EKS IAM token source when K8S_AUTH=eks, else null: KubeApi regenerates through it after a 401. */
export const EKS_TOKEN_SOURCE = Symbol('EKS_TOKEN_SOURCE');
export type EksTokenSourceOrNull = EksTokenSource | null;

/** Everything the auth mode produced; KUBE_CONFIG and EKS_TOKEN_SOURCE are views of it. */
export const KUBE_SETUP = Symbol('KUBE_SETUP');
export interface KubeSetup {
  kc: KubeConfigOrNull;
  tokens: EksTokenSourceOrNull;
  close(): Promise<void>;
}
