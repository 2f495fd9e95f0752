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

interface Dispatcher {
  close(): Promise<void>;
  dispatch(opts: Record<string, unknown>, handler: unknown): boolean;
}

/**
 * client-node builds a new undici Agent (so a new TLS connection) for every call and never
 * closes it; one per KubeConfig keeps connections alive between calls and closes on shutdown.
 * With `timeoutMs`, every request through it gets undici's own deadlines: connection (TCP and
 * TLS) within it, headers within it and no body chunk further apart (an API server that accepts and never answers, or answers half and
 * stalls, has its socket destroyed, not just its caller answered; KubeApi bounds the whole call).
 */
export function shareDispatcher(kc: KubeConfig, timeoutMs?: number): () => Promise<void> {
  const target = kc as unknown as {
    createDispatcher: (...args: unknown[]) => Dispatcher | undefined;
    createDispatcherOptions: (...args: unknown[]) => { connect?: Record<string, unknown> };
  };
  const make = target.createDispatcher.bind(kc);
  if (timeoutMs) {
    // The TLS handshake too: undici's connect timeout is 10 s by default.
    const options = target.createDispatcherOptions.bind(kc);
    target.createDispatcherOptions = (...args) => {
      const o = options(...args);
      if (o.connect) o.connect = { timeout: timeoutMs, ...o.connect };
      return o;
    };
  }
  let shared: Dispatcher | undefined;
  target.createDispatcher = (...args) => (shared ??= bounded(make(...args), timeoutMs));
  return async () => {
    await shared?.close();
  };
}

function bounded(d: Dispatcher | undefined, timeoutMs: number | undefined): Dispatcher | undefined {
  if (!d || !timeoutMs) return d;
  const dispatch = d.dispatch.bind(d);
  d.dispatch = (opts, handler) =>
    dispatch(
      {
        ...opts,
        headersTimeout: (opts.headersTimeout as number | undefined) ?? timeoutMs,
        bodyTimeout: (opts.bodyTimeout as number | undefined) ?? timeoutMs,
      },
      handler,
    );
  return d;
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
  return { kc, tokens, close: shareDispatcher(kc, cfg.cluster.requestTimeoutMs) };
}
