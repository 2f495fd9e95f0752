import { randomBytes } from 'node:crypto';
import { makeTestPki, type TestPki } from './certs';
import { FakeEks, FakeKube } from './fake-kube';
import { verifyEksToken } from './sigv4';

export const CLUSTER = 'test-cluster';
export const REGION = 'eu-west-1';
export const ACCESS_KEY_ID = 'AKIDFAKEEKSTEST';

export interface EksFakes {
  pki: TestPki;
  kube: FakeKube;
  eks: FakeEks;
  /** Overrides for bootApp: K8S_AUTH=eks against the fakes. */
  env: Record<string, string>;
  secret: string;
  stop(): Promise<void>;
}

/** A fake EKS control plane (DescribeCluster) and API server that accepts only tokens signed with our secret. */
export async function startEksFakes(extraEnv: Record<string, string> = {}): Promise<EksFakes> {
  const pki = makeTestPki();
  const secret = randomBytes(30).toString('base64');
  const kube = new FakeKube(pki, (token) =>
    verifyEksToken(token, {
      clusterName: CLUSTER,
      region: REGION,
      secretFor: (id) => (id === ACCESS_KEY_ID ? secret : undefined),
      now: Date.now(),
    }),
  );
  await kube.start();
  const eks = new FakeEks(() => ({ name: CLUSTER, endpoint: kube.url, caPem: pki.caPem }));
  await eks.start();
  const env = {
    K8S_AUTH: 'eks',
    EKS_CLUSTER_NAME: CLUSTER,
    EKS_REGION: REGION,
    AWS_ENDPOINT_URL_EKS: eks.url,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_SESSION_TOKEN: 'fake-session-token',
    K8S_SELF_NAMESPACE: 'platform-api',
    K8S_NAMESPACE_ALLOWLIST: 'shared-batch',
    JOB_IMAGE_ALLOWLIST: 'registry.example.com/,public.ecr.aws/',
    K8S_REQUEST_TIMEOUT_MS: '1500',
    ...extraEnv,
  };
  return {
    pki,
    kube,
    eks,
    env,
    secret,
    stop: async () => {
      await Promise.all([kube.stop(), eks.stop()]);
    },
  };
}
