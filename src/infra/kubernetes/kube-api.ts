import { Inject, Injectable } from '@nestjs/common';
import type { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { kubernetesConfig, type KubernetesConfig } from '../../config';
import { counter, histogram } from '../../observability/metric';
import {
  EKS_TOKEN_SOURCE,
  KUBE_CONFIG,
  type EksTokenSourceOrNull,
  type KubeConfigOrNull,
} from './kubernetes.tokens';

export interface KubeClients {
  core: CoreV1Api;
  batch: BatchV1Api;
}

/** The API server did not answer in time or could not be reached. */
export class KubeUnreachableError extends Error {}
/** K8S_AUTH=disabled. */
export class KubeNotConfiguredError extends Error {
  constructor() {
    super('Kubernetes is not configured');
  }
}

/** HTTP status of a client-node ApiException (compared by shape: the class lives in an ESM import). */
export const apiStatusOf = (e: unknown): number | undefined => {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' && e instanceof Error && 'body' in e ? code : undefined;
};

/** fetch's "fetch failed" (refused, reset, TLS, DNS) or a socket error code. */
function isNetworkError(e: unknown): boolean {
  const err = e as { name?: string; code?: unknown; cause?: { code?: unknown } };
  return (
    (err?.name === 'TypeError' && err.cause !== undefined) ||
    typeof err?.code === 'string' ||
    typeof err?.cause?.code === 'string'
  );
}

/**
 * Calls to the API server: bounded in time, counted in `k8s_requests_total{verb,resource,code}`
 * and timed, and with EKS auth a 401 regenerates the token and retries the call once (the token
 * may have expired early, or credentials rotated).
 */
@Injectable()
export class KubeApi {
  private readonly requests = counter({
    name: 'k8s_requests_total',
    help: 'Kubernetes API calls by verb, resource and HTTP status (error = unreachable or timeout)',
    labelNames: ['verb', 'resource', 'code'] as const,
  });
  private readonly duration = histogram({
    name: 'k8s_request_duration_seconds',
    help: 'Kubernetes API call duration by verb and resource',
    labelNames: ['verb', 'resource'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  private clients?: Promise<KubeClients>;

  constructor(
    @Inject(KUBE_CONFIG) private readonly kc: KubeConfigOrNull,
    @Inject(EKS_TOKEN_SOURCE) private readonly tokens: EksTokenSourceOrNull,
    @Inject(kubernetesConfig.KEY) private readonly cfg: KubernetesConfig,
  ) {}

  get enabled(): boolean {
    return this.kc !== null;
  }

  async call<T>(verb: string, resource: string, fn: (c: KubeClients) => Promise<T>): Promise<T> {
    const clients = await this.getClients();
    try {
      return await this.attempt(verb, resource, () => fn(clients));
    } catch (e) {
      if (apiStatusOf(e) !== 401 || !this.tokens) throw e;
      this.tokens.invalidate();
      return this.attempt(verb, resource, () => fn(clients));
    }
  }

  private getClients(): Promise<KubeClients> {
    const kc = this.kc;
    if (!kc) return Promise.reject(new KubeNotConfiguredError());
    this.clients ??= import('@kubernetes/client-node').then(({ BatchV1Api, CoreV1Api }) => ({
      core: kc.makeApiClient(CoreV1Api),
      batch: kc.makeApiClient(BatchV1Api),
    }));
    return this.clients;
  }

  private async attempt<T>(verb: string, resource: string, run: () => Promise<T>): Promise<T> {
    const end = this.duration.startTimer({ verb, resource });
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.cfg.cluster.requestTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KubeUnreachableError(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    let code = 'error';
    try {
      const result = await Promise.race([run(), timeout]);
      code = '2xx'; // the object API does not expose the exact success status
      return result;
    } catch (e) {
      const status = apiStatusOf(e);
      if (status !== undefined) code = String(status);
      if (status !== undefined || e instanceof KubeUnreachableError || !isNetworkError(e)) throw e;
      throw new KubeUnreachableError((e as Error).message, { cause: e });
    } finally {
      clearTimeout(timer);
      end();
      this.requests.inc({ verb, resource, code });
    }
  }
}
