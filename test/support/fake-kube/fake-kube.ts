import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestPki } from './certs';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  body?: Obj;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

function matches(labels: Obj | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k] === v;
  });
}

/**
 * A Kubernetes API server for tests, over HTTPS with a test CA: namespaces, jobs, pods and logs,
 * answering with Status objects and the real codes (404, 409, 422), checking every bearer token
 * with `verifyToken`. Tests move jobs along with `setJob`.
 */
export class FakeKube {
  readonly namespaces = new Map<string, Obj>();
  readonly jobs = new Map<string, Obj>(); // `${ns}/${name}`
  readonly pods = new Map<string, Obj>();
  readonly logs = new Map<string, string>(); // `${ns}/${pod}`
  readonly requests: RecordedRequest[] = [];
  private failures: { status: number; count: number }[] = [];
  private server?: HttpsServer;
  url = '';

  constructor(
    private readonly pki: TestPki,
    private readonly verifyToken: (token: string) => { ok: boolean; reason?: string },
  ) {
    for (const ns of [
      'default',
      'kube-system',
      'kube-public',
      'platform-api',
      'shared-batch',
      'unmanaged',
    ])
      this.addNamespace(ns);
  }

  addNamespace(name: string, labels: Obj = {}): void {
    this.namespaces.set(name, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        uid: randomUUID(),
        labels: { 'kubernetes.io/metadata.name': name, ...labels },
        creationTimestamp: new Date().toISOString(),
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  /** The next `count` requests answer `status` (401: token rejected, 403: RBAC, 500...). */
  failNext(statusCode: number, count = 1): void {
    this.failures.push({ status: statusCode, count });
  }

  /** The next `count` requests get no answer at all (a hung API server or a black-holed route). */
  hangNext(count = 1): void {
    this.failures.push({ status: 0, count });
  }

  /** Moves a job on: running creates its pod; succeeded / failed finish it. */
  setJob(ns: string, name: string, state: 'running' | 'succeeded' | 'failed', log?: string): void {
    const job = this.jobs.get(`${ns}/${name}`);
    if (!job) throw new Error(`no job ${ns}/${name}`);
    const now = new Date().toISOString();
    const podName = `${name}-${job.metadata.uid.slice(0, 5)}`;
    const labels = { ...job.spec.template.metadata.labels };
    const phase = { running: 'Running', succeeded: 'Succeeded', failed: 'Failed' }[state];
    this.pods.set(`${ns}/${podName}`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace: ns, labels, creationTimestamp: now },
      spec: {
        containers: job.spec.template.spec.containers.map((c: Obj) => ({
          name: c.name,
          image: c.image,
        })),
      },
      status: { phase },
    });
    if (log !== undefined) this.logs.set(`${ns}/${podName}`, log);
    job.status = { ...job.status, startTime: job.status.startTime ?? now };
    if (state === 'running') job.status = { ...job.status, active: 1, ready: 1 };
    if (state === 'succeeded') {
      job.status = {
        ...job.status,
        active: 0,
        ready: 0,
        succeeded: 1,
        completionTime: now,
        conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now }],
      };
    }
    if (state === 'failed') {
      job.status = {
        ...job.status,
        active: 0,
        ready: 0,
        failed: 1,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            lastTransitionTime: now,
          },
        ],
      };
    }
  }

  async start(): Promise<void> {
    this.server = createServer(
      { key: this.pki.serverKeyPem, cert: this.pki.serverCertPem },
      (req, res) => void this.handle(req, res),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'https://fake');
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = raw ? (JSON.parse(raw) as Obj) : undefined;
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      body,
    });
    const send = (code: number, payload: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const auth = req.headers.authorization ?? '';
    const check = auth.startsWith('Bearer ')
      ? this.verifyToken(auth.slice(7))
      : { ok: false, reason: 'no bearer token' };
    if (!check.ok) return send(401, status(401, 'Unauthorized', `Unauthorized: ${check.reason}`));
    const failure = this.failures[0];
    if (failure) {
      if (--failure.count <= 0) this.failures.shift();
      if (failure.status === 0) return; // hang: the socket stays open, nothing is written
      const reason =
        { 401: 'Unauthorized', 403: 'Forbidden', 500: 'InternalError' }[failure.status] ??
        'Failure';
      return send(
        failure.status,
        status(failure.status, reason, `${reason} (injected by the test)`),
      );
    }
    const [code, payload, type] = this.route(req.method ?? 'GET', url, body);
    send(code, payload, type);
  }

  private route(method: string, url: URL, body: Obj | undefined): [number, unknown, string?] {
    const p = url.pathname.split('/').filter(Boolean);
    const sel = url.searchParams.get('labelSelector');
    if (url.pathname === '/version')
      return [200, { major: '1', minor: '31', gitVersion: 'v1.31.0-fake' }];
    // /api/v1/namespaces[/ns]
    if (p[0] === 'api' && p[2] === 'namespaces' && p.length <= 4) {
      const name = p[3];
      if (!name && method === 'GET') {
        return [
          200,
          {
            kind: 'NamespaceList',
            apiVersion: 'v1',
            metadata: {},
            items: [...this.namespaces.values()].filter((n) => matches(n.metadata.labels, sel)),
          },
        ];
      }
      if (!name && method === 'POST') {
        const n = body?.metadata?.name;
        if (typeof n !== 'string' || !DNS_LABEL.test(n) || n.length > 63) {
          return [
            422,
            status(
              422,
              'Invalid',
              `Namespace "${n}" is invalid: metadata.name: Invalid value: "${n}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
            ),
          ];
        }
        if (this.namespaces.has(n))
          return [409, status(409, 'AlreadyExists', `namespaces "${n}" already exists`)];
        this.addNamespace(n, body?.metadata?.labels ?? {});
        return [201, this.namespaces.get(n)];
      }
      const ns = this.namespaces.get(name);
      if (!ns) return [404, status(404, 'NotFound', `namespaces "${name}" not found`)];
      if (method === 'GET') return [200, ns];
      if (method === 'DELETE') {
        this.namespaces.delete(name);
        for (const key of [...this.jobs.keys()])
          if (key.startsWith(`${name}/`)) this.jobs.delete(key);
        return [200, { ...ns, status: { phase: 'Terminating' } }];
      }
    }
    // /api/v1/namespaces/:ns/pods[/:pod/log]
    if (p[0] === 'api' && p[4] === 'pods') {
      const ns = p[3];
      if (!p[5]) {
        const items = [...this.pods.values()].filter(
          (x) => x.metadata.namespace === ns && matches(x.metadata.labels, sel),
        );
        return [200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items }];
      }
      if (p[6] === 'log') {
        if (!this.pods.has(`${ns}/${p[5]}`))
          return [404, status(404, 'NotFound', `pods "${p[5]}" not found`)];
        const lines = (this.logs.get(`${ns}/${p[5]}`) ?? '').split('\n');
        if (lines.at(-1) === '') lines.pop();
        const tail = Number(url.searchParams.get('tailLines') ?? lines.length);
        let text = lines
          .slice(Math.max(0, lines.length - tail))
          .map((l) => `${l}\n`)
          .join('');
        const limit = Number(url.searchParams.get('limitBytes') ?? Infinity);
        text = text.slice(0, limit);
        return [200, text, 'text/plain'];
      }
    }
    // /apis/batch/v1/namespaces/:ns/jobs[/:name]
    if (p[0] === 'apis' && p[1] === 'batch' && p[5] === 'jobs') {
      const ns = p[4];
      const name = p[6];
      if (!name && method === 'GET') {
        const items = [...this.jobs.values()].filter(
          (j) => j.metadata.namespace === ns && matches(j.metadata.labels, sel),
        );
        return [200, { kind: 'JobList', apiVersion: 'batch/v1', metadata: {}, items }];
      }
      if (!name && method === 'POST') return this.createJob(ns, body ?? {});
      const job = this.jobs.get(`${ns}/${name}`);
      if (!job) return [404, status(404, 'NotFound', `jobs.batch "${name}" not found`)];
      if (method === 'GET') return [200, job];
      if (method === 'DELETE') {
        this.jobs.delete(`${ns}/${name}`);
        const policy = url.searchParams.get('propagationPolicy') ?? body?.propagationPolicy;
        if (policy === 'Background' || policy === 'Foreground') {
          for (const [key, pod] of this.pods)
            if (pod.metadata.labels['job-name'] === name && pod.metadata.namespace === ns)
              this.pods.delete(key);
        }
        return [
          200,
          {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, group: 'batch', kind: 'jobs', uid: job.metadata.uid },
          },
        ];
      }
    }
    return [
      404,
      status(
        404,
        'NotFound',
        `the server could not find the requested resource (${method} ${url.pathname})`,
      ),
    ];
  }

  private createJob(ns: string, job: Obj): [number, unknown] {
    if (!this.namespaces.has(ns))
      return [404, status(404, 'NotFound', `namespaces "${ns}" not found`)];
    const name = job.metadata?.name;
    if (typeof name !== 'string' || !DNS_LABEL.test(name) || name.length > 63) {
      return [
        422,
        status(422, 'Invalid', `Job.batch "${name}" is invalid: metadata.name: Invalid value`),
      ];
    }
    if (!job.spec?.template?.spec?.containers?.length) {
      return [
        422,
        status(
          422,
          'Invalid',
          `Job.batch "${name}" is invalid: spec.template.spec.containers: Required value`,
        ),
      ];
    }
    const bad = job.spec.template.spec.containers.find(
      (c: Obj) => parseFloat(c.resources?.requests?.cpu) > parseFloat(c.resources?.limits?.cpu),
    );
    if (bad) {
      return [
        422,
        status(
          422,
          'Invalid',
          `Job.batch "${name}" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "${bad.resources.requests.cpu}": must be less than or equal to cpu limit of ${bad.resources.limits.cpu}`,
        ),
      ];
    }
    if (this.jobs.has(`${ns}/${name}`))
      return [409, status(409, 'AlreadyExists', `jobs.batch "${name}" already exists`)];
    const uid = randomUUID();
    const selector = { 'batch.kubernetes.io/controller-uid': uid };
    const stored = structuredClone(job);
    stored.metadata = {
      ...stored.metadata,
      namespace: ns,
      uid,
      creationTimestamp: new Date().toISOString(),
    };
    stored.spec.selector = { matchLabels: selector };
    stored.spec.template.metadata = {
      ...stored.spec.template.metadata,
      labels: {
        ...stored.spec.template.metadata?.labels,
        ...selector,
        'batch.kubernetes.io/job-name': name,
        'job-name': name,
      },
    };
    stored.status = {};
    this.jobs.set(`${ns}/${name}`, stored);
    return [201, stored];
  }
}

/** DescribeCluster over plain HTTP (AWS_ENDPOINT_URL_EKS points here); records each call. */
export class FakeEks {
  readonly calls: { path: string; authorization?: string }[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly cluster: () => { name: string; endpoint: string; caPem: string }) {}

  async start(): Promise<void> {
    this.server = createHttpServer((req, res) => {
      this.calls.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const c = this.cluster();
      req.resume();
      if (req.url !== `/clusters/${c.name}`) {
        res.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'ResourceNotFoundException',
        });
        return res.end(JSON.stringify({ message: `No cluster found for name: ${req.url}` }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          cluster: {
            name: c.name,
            arn: `arn:aws:eks:eu-west-1:000000000000:cluster/${c.name}`,
            endpoint: c.endpoint,
            status: 'ACTIVE',
            certificateAuthority: { data: Buffer.from(c.caPem).toString('base64') },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
