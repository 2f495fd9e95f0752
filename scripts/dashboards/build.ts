/**
 * The Grafana dashboards shipped in helm/platform-api/files/dashboards, as code: one place for the
 * layout conventions (datasource variable, namespace/job filters, units). `npm run dashboards`
 * writes the JSON files; a test fails when a file and this builder disagree.
 */

interface Target {
  expr: string;
  legend?: string;
}
interface PanelSpec {
  title: string;
  targets: Target[];
  unit?: string;
  type?: 'timeseries' | 'stat';
  description?: string;
  width?: number;
  stack?: boolean;
  /** Show the exemplars (trace ids) of the queried histogram and link the panel to Tempo. */
  traces?: boolean;
}
interface DashboardSpec {
  uid: string;
  file: string;
  title: string;
  description: string;
  rows: { title: string; panels: PanelSpec[] }[];
}

const DS = { type: 'prometheus', uid: '${datasource}' };
/** Every query is scoped to the chosen namespace and release jobs (api and worker Services). */
export const SEL = 'namespace="$namespace",job=~"$job"';
const sel = (extra = '') => `{${SEL}${extra ? `,${extra}` : ''}}`;
const rate = (metric: string, extra = '') => `rate(${metric}${sel(extra)}[$__rate_interval])`;
const quantile = (q: number, metric: string, by: string, extra = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (${rate(`${metric}_bucket`, extra)}))`;

/** Explore on the chosen Tempo data source: this service's traces in the panel's time range. */
const TRACES_LINK = {
  title: 'Traces (Tempo)',
  url:
    '/explore?schemaVersion=1&panes=' +
    encodeURIComponent(
      JSON.stringify({
        traces: {
          datasource: '${tempo}',
          queries: [
            {
              refId: 'A',
              queryType: 'traceql',
              query: '{resource.service.name=~".*platform-api.*"}',
            },
          ],
          range: { from: '${__from}', to: '${__to}' },
        },
      }),
    ),
  targetBlank: true,
};
/**
 * Rate of the events matching `extra`, or 0 while there are none but the metric has series: a
 * panel of errors shows 0, not "No data", when nothing failed (and still no data when the metric
 * or its namespace/job labels are wrong, which the Prometheus test catches).
 */
const rateOrZero = (by: string, metric: string, extra: string) => {
  const sum = by ? `sum by (${by})` : 'sum';
  return `(${sum} (${rate(metric, extra)}) or 0 * ${sum} (${rate(metric)}))`;
};
/** Share of `metric`'s rate that matches `extra` (0 when none does). */
const share = (by: string, metric: string, extra: string) =>
  `${rateOrZero(by, metric, extra)} / ${by ? `sum by (${by})` : 'sum'} (${rate(metric)})`;

function templating() {
  const query = (name: string, label: string, q: string, multi: boolean) => ({
    name,
    label,
    type: 'query',
    datasource: DS,
    definition: q,
    query: { query: q, refId: `${name}-var` },
    refresh: 2,
    sort: 1,
    multi,
    includeAll: multi,
    ...(multi ? { current: { text: 'All', value: '$__all' } } : {}),
  });
  return {
    list: [
      {
        name: 'datasource',
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        refresh: 1,
      },
      {
        // Optional: with tracing on, latency panels link to this Tempo data source (and their
        // exemplars open a trace when the Prometheus data source has exemplarTraceIdDestinations).
        name: 'tempo',
        label: 'Traces',
        type: 'datasource',
        query: 'tempo',
        refresh: 1,
      },
      query(
        'namespace',
        'Namespace',
        'label_values(process_resident_memory_bytes, namespace)',
        false,
      ),
      query(
        'job',
        'Job',
        'label_values(process_resident_memory_bytes{namespace="$namespace"}, job)',
        true,
      ),
    ],
  };
}

function panel(p: PanelSpec, id: number, x: number, y: number) {
  const w = p.width ?? 12;
  const type = p.type ?? 'timeseries';
  return {
    id,
    type,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource: DS,
    gridPos: { h: type === 'stat' ? 4 : 8, w, x, y },
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      ...(p.traces ? { exemplar: true } : {}),
    })),
    ...(p.traces ? { links: [TRACES_LINK] } : {}),
    fieldConfig: {
      defaults: {
        unit: p.unit ?? 'short',
        ...(type === 'timeseries'
          ? {
              custom: {
                lineWidth: 1,
                fillOpacity: p.stack ? 30 : 10,
                stacking: { mode: p.stack ? 'normal' : 'none' },
              },
            }
          : {}),
      },
      overrides: [],
    },
    options:
      type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'value',
            graphMode: 'area',
          }
        : {
            legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max'] },
            tooltip: { mode: 'multi', sort: 'desc' },
          },
  };
}

function dashboard(spec: DashboardSpec) {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const built = panel(p, id++, x, y);
      if (x + built.gridPos.w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
        built.gridPos.x = 0;
        built.gridPos.y = y;
      }
      panels.push(built);
      x += built.gridPos.w;
      rowHeight = Math.max(rowHeight, built.gridPos.h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['platform-api'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    templating: templating(),
    annotations: { list: [] },
    links: [
      { title: 'platform-api', type: 'dashboards', tags: ['platform-api'], asDropdown: true },
    ],
    panels,
  };
}

const specs: DashboardSpec[] = [
  {
    uid: 'platform-api-overview',
    file: 'overview.json',
    title: 'platform-api / Service overview',
    description: 'RED metrics by route, saturation and pods of the api and worker',
    rows: [
      {
        title: 'Requests (RED)',
        panels: [
          {
            title: 'Request rate by route',
            unit: 'reqps',
            targets: [
              { expr: `sum by (route) (${rate('http_requests_total')})`, legend: '{{route}}' },
            ],
          },
          {
            title: '5xx ratio by route',
            unit: 'percentunit',
            targets: [
              {
                expr: share('route', 'http_requests_total', 'status_code=~"5.."'),
                legend: '{{route}}',
              },
            ],
          },
          {
            title: 'Latency p95 by route',
            unit: 's',
            traces: true,
            targets: [
              {
                expr: quantile(0.95, 'http_request_duration_seconds', 'route'),
                legend: '{{route}}',
              },
            ],
          },
          {
            title: 'Responses by status code',
            unit: 'reqps',
            stack: true,
            targets: [
              {
                expr: `sum by (status_code) (${rate('http_requests_total')})`,
                legend: '{{status_code}}',
              },
            ],
          },
          {
            title: 'Counter operations',
            unit: 'ops',
            targets: [
              {
                expr: `sum by (operation, result) (${rate('counter_operations_total')})`,
                legend: '{{operation}} {{result}}',
              },
            ],
          },
          {
            title: 'Latency p50 / p99 (all routes)',
            unit: 's',
            traces: true,
            targets: [
              { expr: quantile(0.5, 'http_request_duration_seconds', ''), legend: 'p50' },
              { expr: quantile(0.99, 'http_request_duration_seconds', ''), legend: 'p99' },
            ],
          },
        ],
      },
      {
        title: 'Saturation and pods',
        panels: [
          {
            title: 'Pods up',
            type: 'stat',
            width: 6,
            targets: [{ expr: `sum by (job) (up${sel()})`, legend: '{{job}}' }],
          },
          {
            title: 'Event-loop lag p99',
            type: 'stat',
            width: 6,
            unit: 's',
            targets: [{ expr: `max(nodejs_eventloop_lag_p99_seconds${sel()})` }],
          },
          {
            title: 'CPU per pod',
            width: 6,
            unit: 'percentunit',
            targets: [
              { expr: `sum by (pod) (${rate('process_cpu_seconds_total')})`, legend: '{{pod}}' },
            ],
          },
          {
            title: 'Resident memory per pod',
            width: 6,
            unit: 'bytes',
            targets: [
              { expr: `sum by (pod) (process_resident_memory_bytes${sel()})`, legend: '{{pod}}' },
            ],
          },
        ],
      },
    ],
  },
  {
    uid: 'platform-api-tasks',
    file: 'tasks.json',
    title: 'platform-api / Tasks and queues',
    description: 'BullMQ tasks: submissions, outcomes, durations and queue depth',
    rows: [
      {
        title: 'Tasks',
        panels: [
          {
            title: 'Submitted by type',
            unit: 'ops',
            targets: [
              { expr: `sum by (type) (${rate('tasks_submitted_total')})`, legend: '{{type}}' },
            ],
          },
          {
            title: 'Finished by result',
            unit: 'ops',
            stack: true,
            targets: [
              {
                expr: `sum by (result) (${rate('task_duration_seconds_count')})`,
                legend: '{{result}}',
              },
            ],
          },
          {
            title: 'Duration p95 by type',
            unit: 's',
            targets: [
              { expr: quantile(0.95, 'task_duration_seconds', 'type'), legend: '{{type}}' },
            ],
          },
          {
            title: 'Failed share',
            unit: 'percentunit',
            targets: [
              {
                expr: share('', 'task_duration_seconds_count', 'result="failed"'),
                legend: 'failed',
              },
            ],
          },
        ],
      },
      {
        title: 'Queue',
        panels: [
          {
            title: 'Jobs by state',
            width: 24,
            description:
              'Every replica reads the same queue, so the max across pods is the queue depth',
            targets: [{ expr: `max by (state) (tasks_queue_jobs${sel()})`, legend: '{{state}}' }],
          },
        ],
      },
      {
        title: 'External workers (HTTP leases)',
        panels: [
          {
            title: 'Leases granted by type',
            unit: 'ops',
            description: 'Tasks of external types handed to HTTP workers (POST /v1/tasks/lease)',
            targets: [
              { expr: `sum by (type) (${rate('tasks_leases_granted_total')})`, legend: '{{type}}' },
            ],
          },
          {
            title: 'Completes and fails by outcome',
            unit: 'ops',
            stack: true,
            description:
              'lease_lost: a wrong or expired lease token (the task was put back or taken by another worker)',
            targets: [
              {
                expr: `sum by (op, outcome) (${rate('tasks_lease_finishes_total')})`,
                legend: '{{op}} {{outcome}}',
              },
            ],
          },
        ],
      },
    ],
  },
  {
    uid: 'platform-api-ingest',
    file: 'ingest.json',
    title: 'platform-api / Ingest',
    description:
      'SQS to DynamoDB: throughput by stage, batch latency, consumer lag and the dead-letter queue',
    rows: [
      {
        title: 'Throughput',
        panels: [
          {
            title: 'Messages by stage',
            unit: 'ops',
            targets: [
              { expr: `sum by (stage) (${rate('ingest_messages_total')})`, legend: '{{stage}}' },
            ],
          },
          {
            title: 'Batch duration p95',
            unit: 's',
            targets: [{ expr: quantile(0.95, 'ingest_batch_duration_seconds', ''), legend: 'p95' }],
          },
          {
            title: 'Failures',
            unit: 'ops',
            targets: [
              { expr: rateOrZero('', 'ingest_messages_total', 'stage="failed"'), legend: 'failed' },
            ],
          },
          {
            title: 'Duplicates',
            unit: 'ops',
            targets: [
              {
                expr: rateOrZero('', 'ingest_messages_total', 'stage="duplicate"'),
                legend: 'duplicate',
              },
            ],
          },
        ],
      },
      {
        title: 'Lag and dead letters',
        panels: [
          {
            title: 'Consumer lag (main queue depth)',
            targets: [{ expr: `max(ingest_queue_messages${sel('queue="main"')})`, legend: 'main' }],
          },
          {
            title: 'Dead-letter queue depth',
            targets: [{ expr: `max(ingest_queue_messages${sel('queue="dlq"')})`, legend: 'dlq' }],
          },
        ],
      },
    ],
  },
  {
    uid: 'platform-api-kubernetes',
    file: 'kubernetes.json',
    title: 'platform-api / Kubernetes operations',
    description: 'Calls the eks feature makes to the Kubernetes API: rate, errors, latency',
    rows: [
      {
        title: 'Kubernetes API',
        panels: [
          {
            title: 'Requests by verb and resource',
            unit: 'reqps',
            targets: [
              {
                expr: `sum by (verb, resource) (${rate('k8s_requests_total')})`,
                legend: '{{verb}} {{resource}}',
              },
            ],
          },
          {
            title: 'Responses by code',
            unit: 'reqps',
            stack: true,
            targets: [
              { expr: `sum by (code) (${rate('k8s_requests_total')})`, legend: '{{code}}' },
            ],
          },
          {
            title: 'Latency p95 by verb',
            unit: 's',
            targets: [
              { expr: quantile(0.95, 'k8s_request_duration_seconds', 'verb'), legend: '{{verb}}' },
            ],
          },
          {
            title: 'Error ratio',
            unit: 'percentunit',
            targets: [
              {
                expr: share('', 'k8s_requests_total', 'code!~"2.."'),
                legend: 'non-2xx',
              },
            ],
          },
        ],
      },
    ],
  },
  {
    uid: 'platform-api-node',
    file: 'node-runtime.json',
    title: 'platform-api / Node runtime',
    description: 'Event-loop lag, heap, garbage collection and memory of every pod',
    rows: [
      {
        title: 'Runtime',
        panels: [
          {
            title: 'Event-loop lag',
            unit: 's',
            targets: [
              { expr: `max by (pod) (nodejs_eventloop_lag_seconds${sel()})`, legend: '{{pod}}' },
              {
                expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds${sel()})`,
                legend: '{{pod}} p99',
              },
            ],
          },
          {
            title: 'Heap used / total',
            unit: 'bytes',
            targets: [
              {
                expr: `sum by (pod) (nodejs_heap_size_used_bytes${sel()})`,
                legend: '{{pod}} used',
              },
              {
                expr: `sum by (pod) (nodejs_heap_size_total_bytes${sel()})`,
                legend: '{{pod}} total',
              },
            ],
          },
          {
            title: 'GC time per second by kind',
            unit: 's',
            targets: [
              {
                expr: `sum by (kind) (${rate('nodejs_gc_duration_seconds_sum')})`,
                legend: '{{kind}}',
              },
            ],
          },
          {
            title: 'Resident memory',
            unit: 'bytes',
            targets: [
              { expr: `sum by (pod) (process_resident_memory_bytes${sel()})`, legend: '{{pod}}' },
            ],
          },
          {
            title: 'CPU (user and system)',
            unit: 'percentunit',
            targets: [
              {
                expr: `sum by (pod) (${rate('process_cpu_user_seconds_total')})`,
                legend: '{{pod}} user',
              },
              {
                expr: `sum by (pod) (${rate('process_cpu_system_seconds_total')})`,
                legend: '{{pod}} system',
              },
            ],
          },
          {
            title: 'Active handles',
            targets: [
              { expr: `sum by (pod) (nodejs_active_handles_total${sel()})`, legend: '{{pod}}' },
            ],
          },
        ],
      },
    ],
  },
];

/** File name → dashboard JSON text (stable formatting, trailing newline). */
export function buildDashboards(): Record<string, string> {
  return Object.fromEntries(
    specs.map((s) => [s.file, `${JSON.stringify(dashboard(s), null, 2)}\n`]),
  );
}
