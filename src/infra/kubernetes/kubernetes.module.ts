import { Global, Module } from '@nestjs/common';
import { kubernetesConfig, type KubernetesConfig } from '../../config';
import { createKubeConfig } from './kube-config.factory';
import { KUBE_CONFIG } from './kubernetes.tokens';

// client-node keeps no sockets open between calls, so there is nothing to close on shutdown.
@Global()
@Module({
  providers: [
    { provide: KUBE_CONFIG, inject: [kubernetesConfig.KEY], useFactory: (c: KubernetesConfig) => createKubeConfig(c) },
  ],
  exports: [KUBE_CONFIG],
})
export class KubernetesModule {}
