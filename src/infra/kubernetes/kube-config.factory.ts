import type { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesConfig } from '../../config';
import { counter } from '../../observability/metric';
import { describeEksCluster } from './eks-cluster';
import { EksTokenSource } from './eks-token';
import type { KubeSetup } from './kubernetes.tokens';

const EKS_USER = 'platform-api-eks-iam';

const tokenGenerations = () =>
  counter({
    name: 'eks_token_generations_total',
    help: 'EKS IAM bearer tokens signed (cache misses, expiry, 401)',
  });

interface Closable {
  close(): Promise<void>;
}

/**
 * client-node builds a new undici Agent (so a new TLS connection) for every call and never
 * closes it; one per KubeConfig keeps connections alive between calls and closes on shutdown.
 */
export function shareDispatcher(kc: KubeConfig): () => Promise<void> {
  const target = kc as unknown as {
    createDispatcher: (...args: unknown[]) => Closable | undefined;
  };
  const make = target.createDispatcher.bind(kc);
  let shared: Closable | undefined;
  target.createDispatcher = (...args) => (shared ??= make(...args));
  return async () => {
    await shared?.close();
  };
}

/**
 * Builds the KubeConfig for the configured auth mode. The client library is imported only when
 * a mode needs it: loading it costs ~0.6 s of start-up.
 */
export async function createKubeSetup(cfg: KubernetesConfig): Promise<KubeSetup> {
  if (cfg.auth === 'disabled') return { kc: null, tokens: null, close: async () => undefined };
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  let tokens: EksTokenSource | null = null;
  if (cfg.auth === 'eks') {
    const { name, region, tokenRefreshMs, requestTimeoutMs } = cfg.cluster;
    const info = await describeEksCluster(name!, region!, requestTimeoutMs);
    const source = new EksTokenSource({
      clusterName: name!,
      region: region!,
      credentials: info.credentials,
      refreshAfterMs: tokenRefreshMs,
      onGenerate: () => tokenGenerations().inc(),
    });
    tokens = source;
    kc.loadFromClusterAndUser(
      { name: name!, server: info.endpoint, caData: info.caData, skipTLSVerify: false },
      { name: EKS_USER },
    );
    kc.addAuthenticator({
      isAuthProvider: (user) => user.name === EKS_USER,
      applyAuthentication: async (_user, opts) => {
        opts.headers = { ...opts.headers, Authorization: `Bearer ${await source.get()}` };
      },
    });
  } else if (cfg.auth === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromDefault(); // honours KUBECONFIG, then ~/.kube/config
  if (!kc.getCurrentCluster()) throw new Error(`K8S_AUTH=${cfg.auth} found no cluster to talk to`);
  return { kc, tokens, close: shareDispatcher(kc) };
}
