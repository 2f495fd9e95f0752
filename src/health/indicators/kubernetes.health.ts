import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { appConfig, type AppConfig } from '../../config';
import { KUBE_CONFIG, type KubeConfigOrNull } from '../../infra/kubernetes';

/** The API server answers /version with our credentials. */
@Injectable()
export class KubernetesHealth {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(KUBE_CONFIG) private readonly kc: KubeConfigOrNull,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.kc !== null;
  }

  check() {
    return this.health
      .check('kubernetes')
      .attempt(async () => {
        const { VersionApi } = await import('@kubernetes/client-node');
        const v = await this.kc!.makeApiClient(VersionApi).getCode();
        return { version: v.gitVersion };
      })
      .withTimeout(this.app.healthTimeoutMs);
  }
}
