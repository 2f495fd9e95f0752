import { registerAs } from '@nestjs/config';
import { loadEnv } from './load-env';

export const kubernetesConfig = registerAs('kubernetes', () => {
  const e = loadEnv();
  return { auth: e.K8S_AUTH, kubeconfig: e.KUBECONFIG };
});
export type KubernetesConfig = ReturnType<typeof kubernetesConfig>;
