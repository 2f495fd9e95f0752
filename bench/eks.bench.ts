// Kubernetes API calls through the eks client path (IAM token + CA from memory) against a local
// HTTPS fake: ours (one shared undici dispatcher, cached token) vs client-node's default (a new
// dispatcher, so a new TLS connection, per call) with the same cached token. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built service is CommonJS; bench files are ESM under Node's type stripping.
const load = createRequire(join(process.cwd(), 'bench', 'eks.bench.ts'));
const { shareDispatcher } = load('../dist/infra/kubernetes/kube-config.factory.js');
const { EksTokenSource } = load('../dist/infra/kubernetes/eks-token.js');

const CALLS = 400;
const CONCURRENCY = 8;

function pki() {
  const dir = mkdtempSync(join(tmpdir(), 'eks-bench-'));
  const ssl = (...a: string[]) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=bench-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  );
  ssl('req', ...ec, '-keyout', 's.key', '-out', 's.csr', '-subj', '/CN=bench');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    's.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    's.crt',
    '-days',
    '1',
    '-extfile',
    'ext',
  );
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  const out = { ca: r('ca.crt'), key: r('s.key'), cert: r('s.crt') };
  rmSync(dir, { recursive: true, force: true });
  return out;
}

async function main(): Promise<void> {
  const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
  const certs = pki();
  const ns = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a' },
    status: { phase: 'Active' },
  });
  const server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    req.resume();
    res.writeHead(req.headers.authorization?.startsWith('Bearer k8s-aws-v1.') ? 200 : 401, {
      'content-type': 'application/json',
    });
    res.end(ns);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;

  function client(shared: boolean) {
    const tokens = new EksTokenSource({
      clusterName: 'bench',
      region: 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' }),
      refreshAfterMs: 840_000,
    });
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      {
        name: 'bench',
        server: url,
        caData: Buffer.from(certs.ca).toString('base64'),
        skipTLSVerify: false,
      },
      { name: 'iam' },
    );
    kc.addAuthenticator({
      isAuthProvider: (u: { name: string }) => u.name === 'iam',
      applyAuthentication: async (_u: unknown, opts: { headers?: Record<string, string> }) => {
        opts.headers = { ...opts.headers, Authorization: `Bearer ${await tokens.get()}` };
      },
    });
    const close = shared ? shareDispatcher(kc) : async () => undefined;
    return { api: kc.makeApiClient(CoreV1Api), close };
  }

  async function run(shared: boolean): Promise<number> {
    const { api, close } = client(shared);
    await api.readNamespace({ name: 'team-a' }); // warm-up
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < CALLS) await api.readNamespace({ name: 'team-a' });
      }),
    );
    const perSecond = CALLS / ((performance.now() - started) / 1000);
    await close();
    return perSecond;
  }

  const baseline = await run(false);
  const ours = await run(true);
  server.closeAllConnections();
  server.close();
  const round = (n: number) => Math.round(n * 10) / 10;
  console.log(
    JSON.stringify({
      bench: 'eks-api-calls',
      ours: round(ours),
      baseline: round(baseline),
      unit: 'calls/s',
      ratio: round(ours / baseline),
      target: 1.5,
    }),
  );
}

main().then(
  () => {
    // client-node's per-call agents (the baseline) are never closed and would keep the process alive.
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
