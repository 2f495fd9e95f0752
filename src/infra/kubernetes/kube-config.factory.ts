import type { KubernetesConfig } from '../../config';
import type { KubeConfigOrNull } from './kubernetes.tokens';

/**
 * Builds the KubeConfig for the configured auth mode. The client library is imported only when
 * a mode needs it: loading it costs ~0.6 s of start-up.
 */
export async function createKubeConfig(cfg: KubernetesConfig): Promise<KubeConfigOrNull> {
  if (cfg.auth === 'disabled') return null;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (cfg.auth === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromDefault(); // honours KUBECONFIG, then ~/.kube/config
  if (!kc.getCurrentCluster()) throw new Error(`K8S_AUTH=${cfg.auth} found no cluster to talk to`);
  return kc;
}
