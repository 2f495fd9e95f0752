import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { one, render, ROOT } from './support/chart';
import { run, tool } from './support/tools';

/**
 * The chart's alerts, rendered from ci/production-values.yaml: promtool checks them and runs the
 * unit tests in test/alerts/ (every alert fires when it should and stays quiet when it should
 * not); every alert routes by namespace and job/service and links its section of docs/runbooks.md.
 */
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

const TESTS = join(ROOT, 'test', 'alerts', 'platform-api.test.yaml');
const groupsOf = (extra: string[] = []): Group[] =>
  one(render('production-values.yaml', extra), 'PrometheusRule', 'rel-platform-api').spec.groups;
const groups = groupsOf();
const alerts = groups
  .flatMap((g) => g.rules)
  .filter((r): r is Rule & { alert: string } => !!r.alert);
const promtool = (args: string[], cwd: string) => run(tool('promtool'), args, { cwd });

/** Writes the rules (annotations dropped: the unit tests assert labels) and the tests; runs promtool. */
function unitTest(rules: Group[]): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'platform-api-alerts-'));
  try {
    const bare = rules.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations: _a, ...r }) => r),
    }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: bare }));
    copyFileSync(TESTS, join(dir, 'tests.yaml'));
    const r = promtool(['test', 'rules', 'tests.yaml'], dir);
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('alerts (PrometheusRule)', () => {
  it('pass promtool check rules, annotation templates included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'platform-api-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
      const r = promtool(['check', 'rules', 'rules.yaml'], dir);
      expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pass their promtool unit tests', () => {
    const r = unitTest(groups);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('the unit tests catch a wrong threshold (they can fail)', () => {
    const r = unitTest(
      groupsOf(['--set-json', 'metrics.prometheusRule.thresholds.errorRatio=0.5']),
    );
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/alertname: PlatformApiHighErrorRate/);
  });

  it('have a unit test where each alert fires and one where it stays quiet', () => {
    const cases = (
      parse(readFileSync(TESTS, 'utf8')).tests as {
        alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
      }[]
    ).flatMap((t) => t.alert_rule_test);
    const names = alerts.map((a) => a.alert).sort();
    const fires = new Set(cases.filter((c) => c.exp_alerts.length).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => !c.exp_alerts.length).map((c) => c.alertname));
    expect([...fires].sort()).toEqual(names);
    expect([...quiet].sort()).toEqual(names);
  });

  it('include multi-window burn-rate alerts on the availability and latency SLOs', () => {
    const slo = alerts.filter((a) => a.labels?.slo);
    expect(slo.map((a) => a.alert).sort()).toEqual([
      'PlatformApiAvailabilityBudgetBurn',
      'PlatformApiAvailabilityBudgetBurnSlow',
      'PlatformApiLatencyBudgetBurn',
      'PlatformApiLatencyBudgetBurnSlow',
    ]);
    const fast = alerts.find((a) => a.alert === 'PlatformApiAvailabilityBudgetBurn');
    // 14.4x and 6x a 0.1% budget, each on a long and a short window.
    expect(fast?.expr).toMatch(/ratio_rate1h\{[^}]*\} > 0\.0144\s+and [^\n]*ratio_rate5m/);
    expect(fast?.expr).toMatch(/ratio_rate6h\{[^}]*\} > 0\.006\s+and [^\n]*ratio_rate30m/);
    const records = groups.flatMap((g) => g.rules).filter((r) => r.record);
    expect(records).toHaveLength(12);
  });

  it('carry severity and service labels, and summary, description and runbook_url annotations', () => {
    for (const a of alerts) {
      expect({ alert: a.alert, labels: a.labels }).toEqual({
        alert: a.alert,
        labels: expect.objectContaining({
          severity: expect.stringMatching(/^(critical|warning)$/),
          service: 'rel-platform-api',
        }),
      });
      expect(Object.keys(a.annotations ?? {}).sort()).toEqual([
        'description',
        'runbook_url',
        'summary',
      ]);
      expect(a.annotations?.runbook_url).toBe(
        `https://github.com/platform-api/platform-api/blob/main/docs/runbooks.md#${a.alert.toLowerCase()}`,
      );
    }
  });

  it('each link to their own section of docs/runbooks.md, which has one section per alert', () => {
    const text = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
    const sections = [...text.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(alerts.map((a) => a.alert).sort());
    for (const body of text.split(/^## /m).slice(1)) {
      // What it means, how to check, what to do.
      expect(body).toMatch(/\*\*Means\*\*/);
      expect(body).toMatch(/\*\*Check\*\*/);
      expect(body).toMatch(/\*\*Do\*\*/);
    }
  });
});
