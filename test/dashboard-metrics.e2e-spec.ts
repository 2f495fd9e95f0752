import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { EXTERNAL_METRICS, usedMetrics } from './support/dashboards-and-alerts';
import { exposedSamples, metricNames } from './support/promql';
import { kubeconfigFor, listOnlyKubernetes } from './support/list-kube';

/**
 * Every metric a dashboard panel or an alert reads must be exported by the app: boot it, drive
 * traffic through each feature, scrape /metrics and compare sample names exactly.
 */
describe('dashboards and alerts read only metrics the app exports', () => {
  it('extracts metric names from PromQL (not functions, labels, variables or keywords)', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{namespace="$namespace",job=~"$job",route!~"/health.*"}[$__rate_interval]))) > 1e3',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNames(
        'sum(rate(a_total{x="y"}[5m])) / sum(rate(b_total[5m])) and on (pod) c_gauge offset 5m',
      ),
    ).toEqual(['a_total', 'b_total', 'c_gauge']);
    expect(
      metricNames('label_values(process_resident_memory_bytes{namespace="$namespace"}, job)'),
    ).toEqual(['process_resident_memory_bytes']);
    expect(metricNames('absent(up{job="x"} == 1)')).toEqual(['up']);
  });

  it('uses the metric names the features export, and lists as external only what the app cannot export', () => {
    const used = usedMetrics();
    expect([...used.keys()].sort()).toEqual(
      [
        'counter_operations_total',
        'http_request_duration_seconds_bucket',
        'http_request_duration_seconds_count',
        'http_requests_total',
        'ingest_batch_duration_seconds_bucket',
        'ingest_messages_total',
        'ingest_queue_messages',
        'k8s_request_duration_seconds_bucket',
        'k8s_requests_total',
        'kube_pod_container_status_restarts_total',
        'nodejs_active_handles_total',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_eventloop_lag_seconds',
        'nodejs_gc_duration_seconds_sum',
        'nodejs_heap_size_total_bytes',
        'nodejs_heap_size_used_bytes',
        'process_cpu_seconds_total',
        'process_cpu_system_seconds_total',
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'task_duration_seconds_bucket',
        'task_duration_seconds_count',
        'tasks_lease_finishes_total',
        'tasks_leases_granted_total',
        'tasks_queue_jobs',
        'tasks_submitted_total',
        'up',
      ].sort(),
    );
    for (const name of EXTERNAL_METRICS) expect(used.has(name)).toBe(true);
  });

  describe('against the running app', () => {
    let app: NestFastifyApplication;
    let kube: Server;
    let dir: string;

    beforeAll(async () => {
      kube = await listOnlyKubernetes();
      dir = mkdtempSync(join(tmpdir(), 'platform-api-kubeconfig-'));
      const kubeconfig = join(dir, 'config');
      writeFileSync(
        kubeconfig,
        kubeconfigFor(`http://127.0.0.1:${(kube.address() as AddressInfo).port}`),
      );
      // Own queues and table: other suites' in-process workers share the stack and would take
      // this suite's task or message, recording the metric in their process instead.
      const own = `dash-${process.pid}`;
      app = await bootApp({
        K8S_AUTH: 'kubeconfig',
        KUBECONFIG: kubeconfig,
        APP_ROLE: 'all',
        TASKS_QUEUE_NAME: own,
        TASKS_EXTERNAL_TYPES: 'dash.*',
        INGEST_QUEUE_NAME: own,
        INGEST_DLQ_NAME: `${own}-dlq`,
        INGEST_TABLE_NAME: own,
      });
    });
    afterAll(async () => {
      await app?.close();
      await new Promise((r) => kube?.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    const inject = (opts: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(opts);
    const json = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      inject({
        method,
        url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: payload === undefined ? undefined : JSON.stringify(payload),
      });

    /** Polls until `done` or ~10 s pass; the assertion after it says what was awaited. */
    async function until(done: () => Promise<boolean>): Promise<void> {
      for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
    }

    it('exports every metric used in a dashboard or alert after traffic to each feature', async () => {
      // counter
      await json('POST', '/v1/counters/metrics-coverage/increment', { by: 2 });
      await json('GET', '/v1/counters/metrics-coverage');
      await json('POST', '/v1/counters/metrics-coverage/reset');
      // tasks: one submitted and processed by the in-process worker (APP_ROLE=all)
      const task = await json('POST', '/v1/tasks', { type: 'echo', payload: { hello: 'metrics' } });
      expect(task.statusCode).toBe(202);
      const taskId = (task.json() as { id?: string }).id;
      await until(async () => {
        if (!taskId) return true;
        const status = (await json('GET', `/v1/tasks/${taskId}`)).json()?.status;
        return status === 'completed' || status === 'failed';
      });
      // external workers: one task of an external type leased and completed over HTTP
      expect((await json('POST', '/v1/tasks', { type: 'dash.job', payload: {} })).statusCode).toBe(
        202,
      );
      const lease = await json('POST', '/v1/tasks/lease', { types: ['dash.job'], waitSeconds: 5 });
      const [leased] = (lease.json() as { items: { task: { id: string }; leaseToken: string }[] })
        .items;
      expect(leased).toBeDefined();
      const done = await json('POST', `/v1/tasks/${leased.task.id}/complete`, {
        leaseToken: leased.leaseToken,
        result: { ok: true },
      });
      expect(done.statusCode).toBe(200);
      // ingest: one message accepted, consumed and stored
      const sent = await json('POST', '/v1/ingest/messages', {
        messages: [{ payload: { hello: 'metrics' } }],
      });
      expect(sent.statusCode).toBe(202);
      const messageId = (sent.json() as { messages?: { id: string }[] }).messages?.[0]?.id;
      await until(
        async () =>
          !messageId || (await json('GET', `/v1/ingest/messages/${messageId}`)).statusCode === 200,
      );
      // eks: calls to the (fake) Kubernetes API
      await json('GET', '/v1/namespaces');
      await json('GET', '/v1/namespaces/metrics-coverage/jobs');

      const scrape = await inject({ method: 'GET', url: '/metrics' });
      expect(scrape.statusCode).toBe(200);
      const exported = exposedSamples(scrape.body);
      const used = usedMetrics();
      const missing = [...used.entries()]
        .filter(([name]) => !EXTERNAL_METRICS.has(name) && !exported.has(name))
        .map(([name, where]) => `${name} (used by ${[...new Set(where)].join(', ')})`);
      expect(missing).toEqual([]);
    });

    it('answers only the named families with ?name=, and 400 for an unknown one', async () => {
      await json('POST', '/v1/counters/metrics-filter/increment', { by: 1 });
      const one = await inject({ method: 'GET', url: '/metrics?name=counter_operations_total' });
      expect(one.statusCode).toBe(200);
      expect(one.headers['content-type']).toMatch(/^text\/plain/);
      expect(new Set([...exposedSamples(one.body)].map(family))).toEqual(
        new Set(['counter_operations_total']),
      );
      const two = await inject({
        method: 'GET',
        url: '/metrics?name=counter_operations_total&name=process_cpu_user_seconds_total',
      });
      expect(new Set([...exposedSamples(two.body)].map(family))).toEqual(
        new Set(['counter_operations_total', 'process_cpu_user_seconds_total']),
      );
      const bad = await inject({ method: 'GET', url: '/metrics?name=no_such_metric' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/no_such_metric/);
    });
  });
});

/** A sample name's family: histogram and summary series carry a suffix. */
const family = (sample: string) => sample.replace(/_(bucket|sum|count)$/, '');
