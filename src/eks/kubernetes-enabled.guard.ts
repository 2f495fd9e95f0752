import { Injectable, ServiceUnavailableException, type CanActivate } from '@nestjs/common';
import { KubeApi } from '../infra/kubernetes';

/** K8S_AUTH=disabled: every route of this feature answers 503 before looking at its input. */
@Injectable()
export class KubernetesEnabledGuard implements CanActivate {
  constructor(private readonly kube: KubeApi) {}

  canActivate(): boolean {
    if (!this.kube.enabled) throw new ServiceUnavailableException('Kubernetes is not configured');
    return true;
  }
}
