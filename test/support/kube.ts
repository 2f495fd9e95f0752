import { kubeRequester, type KubeResponse } from '../../scripts/stack/index.ts';

export { KWOK_LOG_LINES, KWOK_NODE, KWOK_OUTCOME_LABEL } from '../../scripts/stack/index.ts';

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The real control plane global-setup started (scripts/stack/kube.ts), seen from a Jest worker. */
export interface TestKube {
  server: string;
  kubeconfig: string;
  /** App overrides to use it as cluster admin through a kubeconfig. */
  env: Record<string, string>;
  /** As cluster admin, or with `token` as that identity. */
  request(method: string, path: string, body?: unknown, token?: string): Promise<KubeResponse>;
  /** GET as admin; the parsed body, or undefined on 404. */
  get(path: string): Promise<Loose | undefined>;
  /** Creates a namespace as admin (no-op when it exists), unmanaged unless labels say otherwise. */
  ensureNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Pods of a Job (by the job-name label the job controller sets). */
  jobPods(ns: string, job: string): Promise<Loose[]>;
}

export function testKube(): TestKube {
  const server = process.env.TEST_KUBE_SERVER;
  const dir = process.env.TEST_KUBE_DIR;
  const kubeconfig = process.env.TEST_KUBECONFIG;
  if (!server || !dir || !kubeconfig)
    throw new Error('no local control plane: run the e2e suites through Jest (global setup)');
  const request = kubeRequester(server, dir);
  const get = async (path: string) => {
    const r = await request('GET', path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return r.body as Loose;
  };
  return {
    server,
    kubeconfig,
    env: { K8S_AUTH: 'kubeconfig', KUBECONFIG: kubeconfig },
    request,
    get,
    ensureNamespace: async (name, labels) => {
      const r = await request('POST', '/api/v1/namespaces', { metadata: { name, labels } });
      if (r.status !== 201 && r.status !== 409)
        throw new Error(`creating namespace ${name}: ${r.status} ${r.text}`);
    },
    jobPods: async (ns, job) =>
      ((await get(`/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3D${job}`))?.items ??
        []) as Loose[],
  };
}

/** Polls `probe` until it returns something truthy; throws with `what` after timeoutMs. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  timeoutMs = 45_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
