import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, one, render } from './chart';
import { dashboardExprs, metricNames } from './promql';

/**
 * Series the dashboards and alerts read that the app cannot export: Prometheus' own `up` and
 * kube-state-metrics' restart counter. Nothing else may be listed here.
 */
export const EXTERNAL_METRICS = new Set(['up', 'kube_pod_container_status_restarts_total']);

export const DASHBOARD_DIR = join(CHART, 'files', 'dashboards');

/** metric name → where it is used (dashboard file or alert name). */
export function usedMetrics(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (where: string, expr: string) => {
    for (const name of metricNames(expr)) used.set(name, [...(used.get(name) ?? []), where]);
  };
  for (const file of readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'))) {
    for (const expr of dashboardExprs(JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8'))))
      add(file, expr);
  }
  const rule = one(render('production-values.yaml'), 'PrometheusRule', 'rel-platform-api');
  const rules = (
    rule.spec.groups as { rules: { alert?: string; record?: string; expr: string }[] }[]
  ).flatMap((g) => g.rules);
  // Series recorded by the rules themselves are not read from the app: their inputs are.
  const recorded = new Set(rules.map((r) => r.record).filter(Boolean));
  for (const r of rules) {
    for (const name of metricNames(r.expr).filter((n) => !recorded.has(n)))
      used.set(name, [...(used.get(name) ?? []), r.alert ?? r.record ?? '?']);
  }
  return used;
}
