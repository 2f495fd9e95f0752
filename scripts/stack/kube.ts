/**
 * A real local Kubernetes control plane for `npm run local -- --kube` and the Jest suites:
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler, plus KWOK, which plays the
 * kubelet for one simulated node (pods are scheduled, run, complete or fail, and serve logs).
 * The binaries are built once from the Go module proxy by scripts/kube/build.sh into a cache
 * folder keyed by version; everything else (PKI, data, kubeconfig) lives in a fresh temp folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports.ts';

/** The repository root: npm scripts and Jest both run there (this file is loaded as ESM and as CJS). */
function repoRoot(): string {
  for (let d = process.cwd(); ; d = dirname(d)) {
    if (existsSync(join(d, 'scripts', 'kube', 'build.sh'))) return d;
    if (dirname(d) === d) throw new Error('scripts/kube/build.sh not found above ' + process.cwd());
  }
}
const buildScript = () => join(repoRoot(), 'scripts', 'kube', 'build.sh');

/** The node KWOK manages; pods land here. */
export const KWOK_NODE = 'kwok-node-0';
/** Pods carrying this label (`failed`) end Failed with exit code 1 instead of Succeeded. */
export const KWOK_OUTCOME_LABEL = 'kwok.local/outcome';
/** What every simulated container "printed" (served by KWOK through the API server's log route). */
export const KWOK_LOG_LINES = ['starting', 'working', 'done'];

export interface KubeResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface KubeCluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Absolute path of an admin kubeconfig (certificates inline) for kubectl, helm and the app. */
  kubeconfig: string;
  caPem: string;
  dir: string;
  /** What the app needs to use this cluster with K8S_AUTH=kubeconfig. */
  env: Record<string, string>;
  /** An API call as cluster admin, or with `token` as that identity (no client certificate). */
  request(method: string, path: string, body?: unknown, token?: string): Promise<KubeResponse>;
  /** Last lines each component wrote (for error messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface BuildOptions {
  /** Progress lines of a first build (default: stderr). */
  onProgress?: (line: string) => void;
}

/** True when the binaries are already built (the build script then returns at once). */
export function kubeBuilt(): boolean {
  return spawnQuiet('bash', [buildScript(), '--check']) === 0;
}

function spawnQuiet(cmd: string, args: string[]): number | null {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return 0;
  } catch (e) {
    return (e as { status?: number | null }).status ?? 1;
  }
}

/** Runs scripts/kube/build.sh (cached: instant after the first run) and returns the bin folder. */
export function buildKube(opts: BuildOptions = {}): Promise<string> {
  const onProgress = opts.onProgress ?? ((l: string) => process.stderr.write(`${l}\n`));
  return new Promise((resolveBin, reject) => {
    const child = spawn('bash', [buildScript()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      const lines = (tail + d.toString()).split('\n');
      tail = lines.pop() ?? '';
      // go's per-module download lines are noise; the script's own steps are the progress.
      for (const l of lines) if (l.startsWith('kube build') || /error|fail/i.test(l)) onProgress(l);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const bin = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && existsSync(join(bin, 'kube-apiserver'))) resolveBin(bin);
      else reject(new Error(`scripts/kube/build.sh failed (exit ${code})`));
    });
  });
}

/** A throw-away CA, the API server's certificate and an admin (system:masters) client certificate. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
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
    '30',
    '-subj',
    '/CN=platform-api-local-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const sign = (name: string, subj: string, ext: string) => {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '30',
      '-extfile',
      `${name}.ext`,
    );
  };
  sign(
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n' +
      'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  sign(
    'admin',
    '/O=system:masters/CN=kubernetes-admin',
    'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n',
  );
  // The key that signs ServiceAccount tokens (TokenRequest).
  ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key');
}

const b64 = (file: string) => readFileSync(file).toString('base64');

function writeKubeconfig(dir: string, server: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${b64(join(dir, 'ca.crt'))}`,
      'users:',
      '- name: admin',
      '  user:',
      `    client-certificate-data: ${b64(join(dir, 'admin.crt'))}`,
      `    client-key-data: ${b64(join(dir, 'admin.key'))}`,
      'contexts:',
      '- name: local',
      '  context: {cluster: local, user: admin}',
      'current-context: local',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

/** KWOK's configuration: its own stages (copied at build time), ours for failures, and logs. */
function writeKwokConfig(dir: string, bin: string): string {
  const stageDir = join(bin, 'stages');
  const stages = [
    'node-initialize.yaml',
    'node-heartbeat-with-lease.yaml',
    'pod-ready.yaml',
    'pod-complete.yaml',
    'pod-delete.yaml',
  ].map((f) => readFileSync(join(stageDir, f), 'utf8').trim());
  // Pods labelled outcome=failed stop with exit code 1 (weight 1 beats pod-complete's 0).
  const fail = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: platform-api-pod-failed
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.metadata.labels["${KWOK_OUTCOME_LABEL}"]'
      operator: 'In'
      values: ['failed']
  weight: 1
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 1
            finishedAt: {{ $now | Quote }}
            reason: Error
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Failed`;
  // Every container's log is this file, in the CRI log format the kubelet serves.
  const logFile = join(dir, 'container.log');
  const at = '2026-01-01T00:00:00.000000000Z';
  writeFileSync(logFile, KWOK_LOG_LINES.map((l) => `${at} stdout F ${l}\n`).join(''));
  const logs = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: every-pod
spec:
  logs:
  - logsFile: ${logFile}`;
  const path = join(dir, 'kwok.yaml');
  writeFileSync(path, [...stages, fail, logs].join('\n---\n') + '\n');
  return path;
}

interface Proc {
  name: string;
  child: ChildProcess;
  out: string;
}

function launch(name: string, cmd: string, args: string[], procs: Proc[]): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, out: '' };
  const keep = (d: Buffer) => {
    p.out = (p.out + d.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  procs.push(p);
  return p;
}

async function stopAll(procs: Proc[]): Promise<void> {
  // Reverse order: the API server's clients first, etcd last.
  for (const p of [...procs].reverse()) {
    const c = p.child;
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * API calls to a cluster started by startKube: as cluster admin (client certificate), or with a
 * bearer token as that identity. Also used from Jest workers, which get `dir` and `server` by env.
 */
export function kubeRequester(
  server: string,
  dir: string,
): (method: string, path: string, body?: unknown, token?: string) => Promise<KubeResponse> {
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const cert = readFileSync(join(dir, 'admin.crt'));
  const key = readFileSync(join(dir, 'admin.key'));
  return (method, path, body, token) =>
    new Promise<KubeResponse>((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(
        `${server}${path}`,
        {
          method,
          ca,
          ...(token ? {} : { cert, key }),
          headers: {
            accept: 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* logs and plain text stay text */
            }
            done({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
      req.on('error', fail);
      req.end(payload);
    });
}

/** Starts a fresh control plane (build it first with buildKube). Ready when a node is Ready. */
export async function startKube(bin: string, timeoutMs = 90_000): Promise<KubeCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'platform-api-kube-'));
  makePki(dir);
  const [etcdPort, peerPort, apiPort, cmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = writeKubeconfig(dir, server);
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const f = (n: string) => join(dir, n);
  const procs: Proc[] = [];

  const request = kubeRequester(server, dir);

  const logs = () =>
    procs.map((p) => `--- ${p.name} (exit ${p.child.exitCode})\n${p.out.slice(-1500)}`).join('\n');
  const deadline = Date.now() + timeoutMs;
  const waitFor = async (what: string, ok: () => Promise<boolean>) => {
    for (;;) {
      const dead = procs.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited while waiting for ${what}\n${logs()}`);
      if (await ok().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  try {
    mkdirSync(f('etcd'));
    launch(
      'etcd',
      join(bin, 'etcd'),
      [
        '--name=local',
        `--data-dir=${f('etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=local=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync=true', // throw-away data: no fsync keeps it fast on a busy disk
        '--log-level=warn',
      ],
      procs,
    );
    launch(
      'kube-apiserver',
      join(bin, 'kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${f('apiserver-certs')}`,
        `--tls-cert-file=${f('apiserver.crt')}`,
        `--tls-private-key-file=${f('apiserver.key')}`,
        `--client-ca-file=${f('ca.crt')}`,
        `--service-account-key-file=${f('sa.key')}`,
        `--service-account-signing-key-file=${f('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        // Privileged pods are allowed by the server itself, so refusing one is Pod Security's
        // and RBAC's doing, as on a real cluster.
        '--allow-privileged=true',
        `--kubelet-client-certificate=${f('apiserver.crt')}`,
        `--kubelet-client-key=${f('apiserver.key')}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=0',
      ],
      procs,
    );
    await waitFor('the API server', async () => (await request('GET', '/readyz')).status === 200);
    const kc = ['--kubeconfig', kubeconfig, '--leader-elect=false', '--bind-address=127.0.0.1'];
    launch(
      'kube-controller-manager',
      join(bin, 'kube-controller-manager'),
      [
        ...kc,
        `--secure-port=${cmPort}`,
        `--service-account-private-key-file=${f('sa.key')}`,
        `--root-ca-file=${f('ca.crt')}`,
        '--use-service-account-credentials=false',
        '--v=0',
      ],
      procs,
    );
    launch(
      'kube-scheduler',
      join(bin, 'kube-scheduler'),
      [...kc, `--secure-port=${schedPort}`, '--v=0'],
      procs,
    );
    launch(
      'kwok',
      join(bin, 'kwok'),
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${writeKwokConfig(dir, bin)}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--node-ip=127.0.0.1',
        `--node-port=${kwokPort}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        `--tls-cert-file=${f('apiserver.crt')}`,
        `--tls-private-key-file=${f('apiserver.key')}`,
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.1/16',
      ],
      procs,
    );
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: KWOK_NODE,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': KWOK_NODE,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
        },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      },
    };
    await waitFor('the node to be created', async () => {
      const r = await request('POST', '/api/v1/nodes', node);
      return r.status === 201 || r.status === 409;
    });
    await waitFor('the node to be Ready', async () => {
      const r = await request('GET', `/api/v1/nodes/${KWOK_NODE}`);
      const conds = (r.body as { status?: { conditions?: { type: string; status: string }[] } })
        .status?.conditions;
      return conds?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    // The default ServiceAccount of `default` appears once the controller-manager runs.
    await waitFor('the controller-manager', async () => {
      const r = await request('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      return r.status === 200;
    });
  } catch (e) {
    await stopAll(procs);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    server,
    kubeconfig,
    caPem: ca,
    dir,
    env: { K8S_AUTH: 'kubeconfig', KUBECONFIG: kubeconfig },
    request,
    logs,
    stop: async () => {
      await stopAll(procs);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
