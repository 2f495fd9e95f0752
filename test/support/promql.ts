/**
 * Metric names used by PromQL expressions (dashboards, alert rules). Enough of PromQL for our
 * queries: strings, label matchers, ranges, grouping clauses and Grafana variables are removed,
 * then every remaining identifier that is not a function call or keyword is a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Grafana's label_values(metric, label): the second argument is a label.
    .replace(/\blabel_values\s*\(([^,()]*),[^)]*\)/g, ' $1 ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:])(?!\s*\()/g)) {
    if (!KEYWORDS.has(m[0].toLowerCase())) names.add(m[0]);
  }
  return [...names];
}

/** Sample names in a Prometheus text exposition (`foo_bucket`, `foo_sum`... as written). */
export function exposedSamples(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

interface DashboardJson {
  panels?: { targets?: { expr?: string }[] }[];
  templating?: { list?: { definition?: string }[] };
}

/** Every PromQL expression in a Grafana dashboard: panel targets and variable queries. */
export function dashboardExprs(d: DashboardJson): string[] {
  const targets = (d.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
  const vars = (d.templating?.list ?? []).map((v) => v.definition ?? '');
  return [...targets, ...vars].filter(Boolean);
}
