import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { kubernetesConfig, type KubernetesConfig } from '../../config';
import { createKubeSetup } from './kube-config.factory';
import { KubeApi } from './kube-api';
import { EKS_TOKEN_SOURCE, KUBE_CONFIG, KUBE_SETUP, type KubeSetup } from './kubernetes.tokens';

@Global()
@Module({
  providers: [
    {
      provide: KUBE_SETUP,
      inject: [kubernetesConfig.KEY],
      useFactory: (c: KubernetesConfig) => createKubeSetup(c),
    },
    { provide: KUBE_CONFIG, inject: [KUBE_SETUP], useFactory: (s: KubeSetup) => s.kc },
    { provide: EKS_TOKEN_SOURCE, inject: [KUBE_SETUP], useFactory: (s: KubeSetup) => s.tokens },
    KubeApi,
  ],
  exports: [KUBE_CONFIG, EKS_TOKEN_SOURCE, KubeApi],
})
export class KubernetesModule implements OnApplicationShutdown {
  constructor(@Inject(KUBE_SETUP) private readonly setup: KubeSetup) {}

  async onApplicationShutdown(): Promise<void> {
    await this.setup.close();
  }
}
