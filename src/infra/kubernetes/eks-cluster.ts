import { AWS_MAX_ATTEMPTS, boundedHttpHandler } from '../aws/http-handler';
import type { AwsCredentials } from './eks-token';

export interface EksClusterInfo {
  endpoint: string;
  /** Base64 PEM, as DescribeCluster returns it and as KubeConfig's caData takes it: no temp file. */
  caData: string;
  /** The default credential chain (env, IRSA, Pod Identity, instance role), memoised by the SDK. */
  credentials: () => Promise<AwsCredentials>;
}

/**
 * Endpoint and CA of the cluster from `eks:DescribeCluster`. Region and credentials follow the SDK
 * conventions (AWS_ENDPOINT_URL_EKS too, which the tests use to reach a fake).
 */
export async function describeEksCluster(
  name: string,
  region: string,
  timeoutMs: number,
): Promise<EksClusterInfo> {
  // Imported here so the other auth modes never load the EKS client.
  const { DescribeClusterCommand, EKSClient } = await import('@aws-sdk/client-eks');
  const eks = new EKSClient({
    region,
    maxAttempts: AWS_MAX_ATTEMPTS,
    requestHandler: boundedHttpHandler(timeoutMs),
  });
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
    const endpoint = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!endpoint || !caData)
      throw new Error(`EKS cluster ${name} has no endpoint or CA yet (status ${cluster?.status})`);
    const provider = eks.config.credentials;
    return { endpoint, caData, credentials: () => provider() };
  } catch (e) {
    throw new Error(
      `K8S_AUTH=eks: DescribeCluster ${name} in ${region} failed: ${(e as Error).message}`,
      { cause: e },
    );
  } finally {
    // Only the HTTP handler goes; the credential provider keeps working without it.
    eks.destroy();
  }
}
