import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { stringify } from 'yaml';
import { preflightConfig } from '../src/app.setup';
import { auth, bootApp } from './support/app';
import { one, render } from './support/chart';
import { DASHBOARD_DIR } from './support/dashboards-and-alerts';
import { kubeconfigFor, listOnlyKubernetes } from './support/list-kube';
import { sleep, startLoad, summary } from './support/load';
import { dashboardExprs } from './support/promql';
import { tool } from './support/tools';

/**
 * The dashboards against a real Prometheus (Debian's package, as .ci/run installs it): it scrapes
 * the running app on its metrics port (METRICS_PORT, as the chart deploys it) every second while a
 * short load drives each feature, and every panel's query must return data. Parsing is not
 * enough: a wrong label, or a metric name the app does not export (e.g. a counter's name without
 * its _total suffix), answers an empty result. The chart's recording rules are loaded too and must produce their series.
 */
const NAMESPACE = 'apps';
const API_JOB = 'rel-platform-api-api';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** A panel query as Grafana sends it with namespace=apps and both release jobs selected. */
const asGrafana = (expr: string) =>
  expr
    .replaceAll('$namespace', NAMESPACE)
    .replaceAll('$job', `${API_JOB}|rel-platform-api-worker`)
    .replaceAll('$__rate_interval', '15s');

describe('dashboards and recording rules against a real Prometheus scraping the app', () => {
  let app: NestFastifyApplication;
  let kube: Server;
  let prometheus: ChildProcess;
  let dir: string;
  let metricsPort: number;
  let promUrl: string;
  let promLog = '';

  async function query(expr: string): Promise<{ metric: object; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: [] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'platform-api-prometheus-'));
    kube = await listOnlyKubernetes();
    writeFileSync(
      join(dir, 'kubeconfig'),
      kubeconfigFor(`http://127.0.0.1:${(kube.address() as AddressInfo).port}`),
    );
    metricsPort = await freePort();
    const own = `prom-${process.pid}`;
    app = await bootApp({
      METRICS_PORT: String(metricsPort),
      K8S_AUTH: 'kubeconfig',
      KUBECONFIG: join(dir, 'kubeconfig'),
      APP_ROLE: 'all',
      TASKS_QUEUE_NAME: own,
      TASKS_EXTERNAL_TYPES: 'prom.*',
      INGEST_QUEUE_NAME: own,
      INGEST_DLQ_NAME: `${own}-dlq`,
      INGEST_TABLE_NAME: own,
    });

    // The chart's rules, rendered for release rel in namespace apps.
    const rule = one(render('production-values.yaml'), 'PrometheusRule', 'rel-platform-api');
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    // Target labels as the Prometheus Operator sets them from the ServiceMonitor.
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['rules.yaml'],
        scrape_configs: [
          {
            job_name: API_JOB,
            static_configs: [
              {
                targets: [`127.0.0.1:${metricsPort}`],
                labels: {
                  namespace: NAMESPACE,
                  service: API_JOB,
                  pod: `${API_JOB}-5d8f7c9b6d-x7k2p`,
                  container: 'api',
                  endpoint: 'metrics',
                },
              },
            ],
          },
        ],
      }),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      tool('prometheus'),
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await sleep(200);
    }
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await app?.close();
    await new Promise((r) => kube?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const json = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
    });

  it('serves /metrics only on the metrics port: 404 on the API port, ?name= and 400 there too', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const base = `http://127.0.0.1:${metricsPort}`;
    const full = await fetch(`${base}/metrics`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await full.text()).toMatch(/^process_cpu_user_seconds_total /m);
    const named = await (await fetch(`${base}/metrics?name=process_cpu_user_seconds_total`)).text();
    expect(named).toMatch(/^process_cpu_user_seconds_total /m);
    expect(named).not.toMatch(/^nodejs_/m);
    expect((await fetch(`${base}/metrics?name=no_such_metric`)).status).toBe(400);
    // Nothing else is served there: not the API, not health.
    expect((await fetch(`${base}/v1/counters/x`)).status).toBe(404);
    expect((await fetch(`${base}/health/ready`)).status).toBe(404);
  });

  it('refuses METRICS_PORT equal to PORT, and DOCS_ENABLED=false removes /docs*', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { PORT: '3000', METRICS_PORT: '3000', API_KEYS: 'k'.repeat(20) });
      expect(() => preflightConfig()).toThrow(/METRICS_PORT must differ from PORT/);
    } finally {
      process.env = saved;
    }
    expect((await app.inject({ method: 'GET', url: '/docs-json' })).statusCode).toBe(200);
    const noDocs = await bootApp({ DOCS_ENABLED: 'false', INGEST_ENABLED: 'false' });
    try {
      for (const url of ['/docs', '/docs-json', '/docs-yaml'])
        expect((await noDocs.inject({ method: 'GET', url, headers: auth })).statusCode).toBe(404);
    } finally {
      await noDocs.close();
    }
  });

  it('every dashboard panel query returns data after a short load, and the recording rules record', async () => {
    expect(promLog).not.toMatch(/level=error/);
    // ~12 s of traffic through every feature, 3 requests in flight.
    let n = 0;
    const load = startLoad(
      3,
      async () => {
        const i = n++;
        switch (i % 7) {
          case 0:
            return {
              res: await json('POST', `/v1/counters/prom-${i % 5}/increment`, { by: 1 }),
              sent: 'counter.increment',
            };
          case 1:
            return { res: await json('GET', `/v1/counters/prom-${i % 5}`), sent: 'counter.get' };
          case 2:
            return {
              res: await json('POST', '/v1/tasks', { type: 'echo', payload: { i } }),
              sent: 'tasks',
            };
          case 3:
            return {
              res: await json('POST', '/v1/ingest/messages', { messages: [{ payload: { i } }] }),
              sent: 'ingest',
            };
          case 4:
            return { res: await json('GET', '/v1/namespaces'), sent: 'eks.list' };
          case 5: {
            // An HTTP worker: an external task submitted, leased and completed.
            await json('POST', '/v1/tasks', { type: 'prom.job', payload: { i } });
            const lease = await json('POST', '/v1/tasks/lease', { types: ['prom.job'] });
            const item = lease.json()?.items?.[0];
            if (!item) return { res: lease, sent: 'tasks.external' };
            const res = await json('POST', `/v1/tasks/${item.task.id}/complete`, {
              leaseToken: item.leaseToken,
            });
            return { res, sent: 'tasks.external' };
          }
          default:
            return { res: await json('GET', `/v1/tasks/no-such-task-${i}`), sent: 'tasks.get' };
        }
      },
      25,
      20,
    );
    await sleep(12_000);
    const answers = await load.stop();
    // Every kind of call succeeded, so each feature recorded its metrics. (A 503 from a Redis
    // command timeout on an overloaded machine is not what this test is about; it is counted.)
    expect(summary(answers).total).toBeGreaterThanOrEqual(30);
    const ok = new Set(answers.filter((a) => a.status < 500).map((a) => a.sent));
    expect([...ok].sort()).toEqual([
      'counter.get',
      'counter.increment',
      'eks.list',
      'ingest',
      'tasks',
      'tasks.external',
      'tasks.get',
    ]);
    // Two more scrapes after the last request, so every rate window holds the end of the load.
    await sleep(2_500);
    expect((await query(`up{job="${API_JOB}"}`)).map((r) => r.value[1])).toEqual(['1']);

    const empty: string[] = [];
    let checked = 0;
    for (const file of readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'))) {
      const d = JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8'));
      for (const expr of dashboardExprs(d)) {
        // Grafana's label_values(selector, label): the selector must match series.
        const lv = /^label_values\((.*),\s*\w+\)$/.exec(expr);
        const q = asGrafana(lv ? lv[1] : expr);
        checked++;
        if ((await query(q)).length === 0) empty.push(`${file}: ${q}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
    expect(empty).toEqual([]);

    // Recording rules over windows the load fits in (longer windows extrapolate the same data).
    for (const name of [
      'platform_api:slo_errors:ratio_rate5m',
      'platform_api:slo_slow:ratio_rate5m',
    ]) {
      const r = await query(`${name}{namespace="${NAMESPACE}",job="${API_JOB}"}`);
      expect({ name, series: r.length }).toEqual({ name, series: 1 });
    }
  }, 90_000);

  it('an empty result is caught: a wrong label value or namespace returns nothing', async () => {
    expect(
      await query(
        asGrafana(
          'sum(rate(http_requests_total{namespace="$namespace",job=~"$job"}[$__rate_interval]))',
        ),
      ),
    ).toHaveLength(1);
    expect(
      await query(
        asGrafana(
          'sum(rate(http_requests_total{namespace="$namespace",job=~"$job",route="/nope"}[$__rate_interval]))',
        ),
      ),
    ).toEqual([]);
    expect(
      await query(
        asGrafana(
          'sum(rate(http_requests_total{namespace="wrong",job=~"$job"}[$__rate_interval]))',
        ),
      ),
    ).toEqual([]);
  });
});
