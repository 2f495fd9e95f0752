import type { KubeConfig } from '@kubernetes/client-node';

/** A ready KubeConfig, or null when K8S_AUTH=disabled (routes then answer 503). */
export const KUBE_CONFIG = Symbol('KUBE_CONFIG');
export type KubeConfigOrNull = KubeConfig | null;
