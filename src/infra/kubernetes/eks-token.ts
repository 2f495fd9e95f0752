import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** What the API server's authenticator accepts: it rejects presigned URLs valid longer than 15 min. */
const PRESIGN_EXPIRES_SECONDS = 60;

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: () => Promise<AwsCredentials>;
  /** Age after which a cached token is regenerated (tokens live 15 minutes). */
  refreshAfterMs: number;
  now?: () => number;
  /** Called each time a token is signed (metrics). */
  onGenerate?: () => void;
}

export const stsHost = (region: string) =>
  `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * The bearer token EKS accepts for IAM principals (what `aws eks get-token` prints): a presigned
 * STS GetCallerIdentity URL whose signed headers include `x-k8s-aws-id: <cluster>`, base64url
 * without padding. Cached and regenerated before it expires; `invalidate()` forces a new one
 * (after a 401). Concurrent callers share one signing.
 */
export class EksTokenSource {
  private readonly signer: SignatureV4;
  private readonly now: () => number;
  private cached?: { token: string; at: number };
  private pending?: Promise<string>;

  constructor(private readonly opts: EksTokenOptions) {
    this.now = opts.now ?? Date.now;
    this.signer = new SignatureV4({
      service: 'sts',
      region: opts.region,
      credentials: opts.credentials,
      sha256: Sha256,
    });
  }

  async get(): Promise<string> {
    const c = this.cached;
    if (c && this.now() - c.at < this.opts.refreshAfterMs) return c.token;
    this.pending ??= this.generate().finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async generate(): Promise<string> {
    const at = this.now();
    const host = stsHost(this.opts.region);
    const signed = await this.signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: host,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host, 'x-k8s-aws-id': this.opts.clusterName },
      },
      { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: new Date(at) },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(String(v))}`)
      .join('&');
    const token = EKS_TOKEN_PREFIX + Buffer.from(`https://${host}/?${query}`).toString('base64url');
    this.cached = { token, at };
    this.opts.onGenerate?.();
    return token;
  }
}
