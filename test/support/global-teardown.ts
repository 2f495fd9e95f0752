import type { Stack } from '../../scripts/stack/index.ts';
import type { KubeCluster } from '../../scripts/stack/kube.ts';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __STACK__?: Stack; __KUBE__?: KubeCluster };
  await Promise.allSettled([g.__STACK__?.stop(), g.__KUBE__?.stop()]);
}
