import { Injectable, ServiceUnavailableException, type CanActivate } from '@nestjs/common';
import { KubeApi } from '../infra/kubernetes';

/** K8S_AUTH=disabled: every route of this feature answers 503 before looking at its input. */
@Injectable()
export class KubernetesEnabledGuard implements CanActivate {
  constructor(private readonly kube: KubeApi) {}

  canActivate(): boolean {
    if (!this.kube.enabled)
      throw new ServiceUnavailableException({
        message:
          'Kubernetes is not configured: set K8S_AUTH (in-cluster, kubeconfig or eks) and restart',
        code: 'KUBERNETES_NOT_CONFIGURED',
      });
    return true;
  }
}
