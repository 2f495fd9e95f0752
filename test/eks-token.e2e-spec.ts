import { EksTokenSource } from '../src/infra/kubernetes/eks-token';
import { sha256Hex, signature, verifyEksToken } from './support/fake-kube/sigv4';

const creds = {
  accessKeyId: 'AKIDTOKENTEST',
  secretAccessKey: 'token-test-secret/with+chars',
  sessionToken: 'session/token+x=',
};
const check = (token: string, now: number, clusterName = 'prod-cluster') =>
  verifyEksToken(token, {
    clusterName,
    region: 'eu-west-1',
    now,
    secretFor: (id) => (id === creds.accessKeyId ? creds.secretAccessKey : undefined),
  });

describe('EKS IAM token, checked with a SigV4 written from the AWS documentation', () => {
  it('the test SigV4 reproduces AWS’s published test vectors first (get-vanilla, get-vanilla-query-order-key-case)', () => {
    const base = {
      method: 'GET',
      path: '/',
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      signedHeaders: ['host', 'x-amz-date'],
      payloadHash: sha256Hex(''),
      amzDate: '20150830T123600Z',
      region: 'us-east-1',
      service: 'service',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    expect(signature({ ...base, query: [] }).signature).toBe(
      '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(
      signature({
        ...base,
        query: [
          ['Param2', 'value2'],
          ['Param1', 'value1'],
        ],
      }).signature,
    ).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });

  const source = (now: () => number, onGenerate?: () => void) =>
    new EksTokenSource({
      clusterName: 'prod-cluster',
      region: 'eu-west-1',
      credentials: async () => creds,
      refreshAfterMs: 14 * 60_000,
      now,
      onGenerate,
    });

  it('is what the API server’s authenticator accepts, and the signature holds', async () => {
    const t0 = Date.UTC(2026, 0, 20, 10, 30, 0);
    const token = await source(() => t0).get();
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(token.slice(11), 'base64url').toString());
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(creds.sessionToken);
    const ok = check(token, t0 + 1000);
    expect(ok).toMatchObject({
      ok: true,
      accessKeyId: creds.accessKeyId,
      amzDate: '20260120T103000Z',
    });
  });

  it('fails the check when tampered, for another cluster, expired, or with extra parameters', async () => {
    const t0 = Date.UTC(2026, 0, 20, 10, 30, 0);
    const token = await source(() => t0).get();
    expect(check(token, t0, 'other-cluster')).toMatchObject({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(check(token, t0 + 16 * 60_000)).toMatchObject({ ok: false, reason: 'token expired' });
    const url = new URL(Buffer.from(token.slice(11), 'base64url').toString());
    url.searchParams.set('X-Amz-Date', '20260120T103001Z');
    expect(check(`k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`, t0).ok).toBe(
      false,
    );
    url.searchParams.set('Evil', '1');
    expect(
      check(`k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`, t0).reason,
    ).toMatch(/not allowed/);
  });

  it('is reused, regenerated at 14 minutes (fake clock), and after invalidate()', async () => {
    let now = Date.UTC(2026, 0, 20, 10, 0, 0);
    let generated = 0;
    const tokens = source(
      () => now,
      () => generated++,
    );
    const first = await tokens.get();
    now += 13 * 60_000 + 59_000;
    expect(await tokens.get()).toBe(first);
    expect(generated).toBe(1);
    now += 1000;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(generated).toBe(2);
    expect(check(second, now)).toMatchObject({ ok: true, amzDate: '20260120T101400Z' });
    // The old one would be refused a minute later; the new one is good for its own 15 minutes.
    expect(check(first, now + 60_001).ok).toBe(false);
    now += 1000;
    tokens.invalidate();
    expect(await tokens.get()).not.toBe(second);
    expect(generated).toBe(3);
  });

  it('signs once for concurrent callers', async () => {
    let generated = 0;
    const tokens = source(
      () => Date.now(),
      () => generated++,
    );
    const all = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(new Set(all).size).toBe(1);
    expect(generated).toBe(1);
  });
});
