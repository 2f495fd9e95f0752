import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4 written from the AWS documentation ("Create a signed AWS API request"),
 * independently of the SDK's signer, so a test can check what the signer produced.
 */
export const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** URI-encode every byte except unreserved characters (A-Z a-z 0-9 - _ . ~), as SigV4 requires. */
export const uriEncode = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

export interface SigV4Input {
  method: string;
  path: string;
  /** Decoded query parameters. */
  query: [string, string][];
  /** Header names are lower-cased and values trimmed here. */
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
  amzDate: string; // YYYYMMDDTHHMMSSZ
  region: string;
  service: string;
  secretAccessKey: string;
}

export function canonicalRequest(i: SigV4Input): string {
  const query = i.query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const lower = Object.fromEntries(
    Object.entries(i.headers).map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')]),
  );
  const names = [...i.signedHeaders].map((h) => h.toLowerCase()).sort();
  const headers = names.map((h) => `${h}:${lower[h] ?? ''}\n`).join('');
  const path = i.path
    .split('/')
    .map((seg) => uriEncode(decodeURIComponent(seg)))
    .join('/');
  return [i.method, path || '/', query, headers, names.join(';'), i.payloadHash].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export function signature(i: SigV4Input): {
  canonical: string;
  stringToSign: string;
  signature: string;
} {
  const date = i.amzDate.slice(0, 8);
  const scope = `${date}/${i.region}/${i.service}/aws4_request`;
  const canonical = canonicalRequest(i);
  const stringToSign = ['AWS4-HMAC-SHA256', i.amzDate, scope, sha256Hex(canonical)].join('\n');
  return {
    canonical,
    stringToSign,
    signature: hmac(
      signingKey(i.secretAccessKey, date, i.region, i.service),
      stringToSign,
    ).toString('hex'),
  };
}

const ALLOWED_PARAMS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

export interface TokenCheck {
  ok: boolean;
  reason?: string;
  accessKeyId?: string;
  amzDate?: string;
  params?: Record<string, string>;
}

/**
 * What the EKS API server's IAM authenticator checks before it forwards the URL to STS (host,
 * path, only allowed parameters, GetCallerIdentity, x-k8s-aws-id signed, expiry at most 900 s
 * and not past), then the signature itself, recomputed from the secret key: STS's part.
 */
export function verifyEksToken(
  token: string,
  o: {
    clusterName: string;
    region: string;
    secretFor: (accessKeyId: string) => string | undefined;
    now: number;
  },
): TokenCheck {
  const fail = (reason: string): TokenCheck => ({ ok: false, reason });
  if (!token.startsWith('k8s-aws-v1.')) return fail('missing k8s-aws-v1. prefix');
  const b64 = token.slice('k8s-aws-v1.'.length);
  if (/[=+/]/.test(b64)) return fail('not unpadded base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'https:') return fail('not https');
  if (url.host !== `sts.${o.region}.amazonaws.com`) return fail(`unexpected host ${url.host}`);
  if (url.pathname !== '/') return fail('path must be /');
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    if (!ALLOWED_PARAMS.has(key)) return fail(`parameter ${k} not allowed`);
    if (key in params) return fail(`duplicate parameter ${k}`);
    params[key] = v;
  }
  if (params.action !== 'GetCallerIdentity') return fail('action must be GetCallerIdentity');
  if (params['x-amz-algorithm'] !== 'AWS4-HMAC-SHA256') return fail('algorithm');
  const signed = (params['x-amz-signedheaders'] ?? '').split(';');
  if (!signed.includes('x-k8s-aws-id')) return fail('x-k8s-aws-id is not signed');
  if (!signed.includes('host')) return fail('host is not signed');
  const expires = Number(params['x-amz-expires']);
  if (!Number.isInteger(expires) || expires <= 0 || expires > 900)
    return fail(`X-Amz-Expires ${params['x-amz-expires']} out of range`);
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params['x-amz-date'] ?? '');
  if (!m) return fail('bad X-Amz-Date');
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  // The authenticator accepts a token for 15 minutes from signing, whatever X-Amz-Expires says.
  if (o.now > signedAt + 15 * 60_000) return fail('token expired');
  if (signedAt > o.now + 5 * 60_000) return fail('token from the future');
  const [accessKeyId, date, region, service, term] = (params['x-amz-credential'] ?? '').split('/');
  if (
    date !== params['x-amz-date'].slice(0, 8) ||
    region !== o.region ||
    service !== 'sts' ||
    term !== 'aws4_request'
  ) {
    return fail('bad credential scope');
  }
  const secret = o.secretFor(accessKeyId);
  if (!secret) return fail(`unknown access key ${accessKeyId}`);
  const query = [...url.searchParams].filter(([k]) => k.toLowerCase() !== 'x-amz-signature');
  const { signature: expected } = signature({
    method: 'GET',
    path: '/',
    query,
    headers: { host: url.host, 'x-k8s-aws-id': o.clusterName },
    signedHeaders: signed,
    payloadHash: sha256Hex(''),
    amzDate: params['x-amz-date'],
    region: o.region,
    service: 'sts',
    secretAccessKey: secret,
  });
  const given = Buffer.from(params['x-amz-signature'] ?? '', 'hex');
  if (given.length !== 32 || !timingSafeEqual(given, Buffer.from(expected, 'hex')))
    return fail('signature mismatch');
  return { ok: true, accessKeyId, amzDate: params['x-amz-date'], params };
}
