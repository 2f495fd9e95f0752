import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildChartReadme, leafPaths, params, valueAt } from '../scripts/chart-readme/build.ts';
import { buildDashboards } from '../scripts/dashboards/build.ts';
import { ROOT } from './support/chart';
import { DASHBOARD_DIR } from './support/dashboards-and-alerts';
import { run, tool } from './support/tools';

/** The delivery files around the chart: workflows, Dockerfile, compose, dependabot, dashboards. */
const read = (...p: string[]) => readFileSync(join(ROOT, ...p), 'utf8');

describe('GitHub workflows', () => {
  const actionlint = (args: string[], input?: string) =>
    run(tool('actionlint'), ['-no-color', ...args], { cwd: ROOT, input });

  it('pass actionlint', () => {
    const r = actionlint([]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('actionlint catches a broken workflow (the check can fail)', () => {
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const r = actionlint(['-'], broken);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/nope/);
  });

  it('cover CI, chart and image delivery as the issue lists', () => {
    const wf = (name: string) => parse(read('.github', 'workflows', name));
    const ci = JSON.stringify(wf('ci.yml'));
    for (const step of ['npm run lint', 'npm run typecheck', 'npm test', 'redis-server', '.nvmrc'])
      expect(ci).toContain(step);
    const chart = JSON.stringify(wf('chart.yml'));
    for (const step of [
      'helm lint --strict',
      'ci/*-values.yaml',
      'helm/kind-action',
      'helm test',
      'npm run test:chart',
    ])
      expect(chart).toContain(step);
    const ciJson = JSON.stringify(wf('ci.yml'));
    for (const step of ['prometheus', 'hashicorp/setup-terraform']) expect(ciJson).toContain(step);
  });

  it('build the image once, scan that build, push those bytes, sign and attest the digest', () => {
    const { jobs } = parse(read('.github', 'workflows', 'image.yml'));
    const steps = (job: string) => JSON.stringify(jobs[job].steps);
    // One build, to an OCI archive with SBOM and provenance attestations; nothing is rebuilt.
    const builds = Object.keys(jobs).filter((j) => steps(j).includes('docker/build-push-action'));
    expect(builds).toEqual(['build']);
    const build = jobs.build.steps.find((s: { id?: string }) => s.id === 'build').with;
    expect(build).toMatchObject({ provenance: 'mode=max', sbom: true });
    expect(build.outputs).toMatch(/^type=oci,dest=.*image\.tar$/);
    expect(build.push).toBeUndefined();
    // The scan reads that archive and fails on HIGH/CRITICAL.
    expect(jobs.scan.needs).toBe('build');
    expect(steps('scan')).toMatch(
      /trivy-action.*"input":"[^"]*image\.tar".*HIGH,CRITICAL.*"exit-code":"1"/,
    );
    // Publish (tags only, after the scan) pushes the archive digest-preserving and checks it.
    expect(jobs.publish.if).toContain("startsWith(github.ref, 'refs/tags/v')");
    expect(jobs.publish.needs).toEqual(['build', 'scan']);
    expect(jobs.publish.permissions).toMatchObject({ 'id-token': 'write', packages: 'write' });
    expect(steps('publish')).toMatch(/skopeo copy --all --preserve-digests/);
    expect(steps('publish')).toMatch(/test \\"\$\{pushed\}\\" = \\"\$\{DIGEST\}\\"/);
    expect(steps('publish')).toMatch(/cosign sign --yes \\"\$\{IMAGE\}@\$\{DIGEST\}\\"/);
    expect(steps('publish')).toMatch(/cosign attest --yes --type spdxjson/);
    expect(steps('publish')).toMatch(/attest-build-provenance.*"push-to-registry":true/);
    // The chart as an OCI artifact, version and appVersion from the tag.
    expect(jobs.chart.if).toContain("startsWith(github.ref, 'refs/tags/v')");
    expect(steps('chart')).toMatch(
      /helm package .*--version \\"\$VERSION\\" --app-version \\"\$VERSION\\"/,
    );
    expect(steps('chart')).toMatch(/helm push .*\$CHART_REPO/);
    // Deploy: one at a time, Helm 4's --rollback-on-failure, verified signature first.
    expect(jobs.deploy.environment).toBe('production');
    expect(jobs.deploy.concurrency).toEqual({
      group: 'deploy-production',
      'cancel-in-progress': false,
    });
    expect(steps('deploy')).toMatch(/helm upgrade --install .*--rollback-on-failure/);
    expect(steps('deploy')).not.toMatch(/--atomic/);
    expect(steps('deploy')).toMatch(/cosign verify/);
    expect(parse(read('.github', 'workflows', 'image.yml')).env.HELM_VERSION).toMatch(/^v4\./);
  });

  it('pin every action by commit SHA, with the version as a comment for Dependabot', () => {
    for (const name of readdirSync(join(ROOT, '.github', 'workflows'))) {
      const uses = [...read('.github', 'workflows', name).matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, comment] of uses) {
        expect({ name, ref }).toEqual({
          name,
          ref: expect.stringMatching(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/),
        });
        expect({ name, ref, comment }).toEqual({
          name,
          ref,
          comment: expect.stringMatching(/^ # v\d+/),
        });
      }
    }
  });

  it('have dependabot watching npm, actions and Docker', () => {
    const ecosystems = parse(read('.github', 'dependabot.yml')).updates.map(
      (u: { 'package-ecosystem': string }) => u['package-ecosystem'],
    );
    expect(ecosystems.sort()).toEqual(['docker', 'github-actions', 'npm', 'terraform']);
  });
});

describe('Dockerfile', () => {
  const hadolint = (args: string[], input?: string) =>
    run(tool('hadolint'), ['--no-color', ...args], { cwd: ROOT, input });

  it('passes hadolint', () => {
    const r = hadolint(['Dockerfile']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('hadolint catches a bad Dockerfile (the check can fail)', () => {
    const r = hadolint(['-'], 'FROM node:latest\nRUN cd /app && npm install\n');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/DL3007/);
  });

  it('builds on Node 24 in stages and runs production dependencies only, as uid 1001, with node dist/main.js', () => {
    const text = read('Dockerfile');
    const stages = text.split(/^FROM /m).slice(1);
    // The base image pinned by digest in a FROM line (Dependabot cannot see through an ARG).
    expect(text).toMatch(/^FROM node:24[-.\w]*@sha256:[0-9a-f]{64} AS base$/m);
    expect(text).not.toMatch(/^ARG /m);
    expect(text.match(/^FROM (\S+)/gm)?.filter((f) => f !== 'FROM base')).toHaveLength(1);
    expect(stages.length).toBeGreaterThanOrEqual(4);
    const runtime = stages.at(-1) ?? '';
    expect(runtime).toMatch(/^USER 1001:1001$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main.js"\]$/m);
    expect(runtime).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(runtime).not.toMatch(/npm (ci|install)(?! --omit=dev)/);
    expect(stages.find((s) => s.startsWith('base AS prod-deps'))).toMatch(/npm ci --omit=dev/);
    // The context holds only what the build needs: no node_modules, dist, .env or .git.
    const ignore = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    expect(ignore.filter((l) => l.startsWith('!'))).toEqual([
      '!package.json',
      '!package-lock.json',
      '!nest-cli.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!src/**',
      '!scripts/bundle.ts',
    ]);
    // The build stage runs the bundler script (npm run build): the context must hold it.
    expect(text).toMatch(/^COPY scripts\/bundle\.ts \.\/scripts\/$/m);
  });
});

describe('docker-compose.yml', () => {
  it('runs Redis, LocalStack (SQS + DynamoDB) and the app wired to them', () => {
    const { services } = parse(read('docker-compose.yml'));
    expect(Object.keys(services).sort()).toEqual(['app', 'localstack', 'redis']);
    expect(services.localstack.environment.SERVICES.split(',').sort()).toEqual(['dynamodb', 'sqs']);
    expect(services.app.environment).toMatchObject({
      REDIS_URL: 'redis://redis:6379',
      AWS_ENDPOINT_URL_SQS: 'http://localstack:4566',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://localstack:4566',
    });
    expect(services.app.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      localstack: { condition: 'service_healthy' },
    });
    expect(services.app).toMatchObject({ user: '1001:1001', read_only: true, cap_drop: ['ALL'] });
    // The LocalStack hook creates what the app expects.
    const init = read('scripts', 'localstack', 'init-aws.sh');
    for (const name of ['platform-ingest-dlq', 'platform-ingest', 'RedrivePolicy'])
      expect(init).toContain(name);
  });
});

describe('Grafana dashboards', () => {
  const files = readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('are the files the builder writes (run `npm run dashboards` after changing scripts/dashboards/build.ts)', () => {
    const built = buildDashboards();
    expect(files).toEqual(Object.keys(built).sort());
    for (const f of files) expect(readFileSync(join(DASHBOARD_DIR, f), 'utf8')).toBe(built[f]);
  });

  it('have stable unique uids, a Prometheus datasource variable, and every query uses it', () => {
    const uids = new Set<string>();
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8'));
      expect(d.uid).toMatch(/^platform-api-[a-z]+$/);
      uids.add(d.uid);
      expect(d.templating.list[0]).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      const panels = d.panels.filter((p: { type: string }) => p.type !== 'row');
      expect(panels.length).toBeGreaterThanOrEqual(4);
      for (const p of panels) {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const t of p.targets) expect(t.expr).toContain('namespace="$namespace",job=~"$job"');
      }
    }
    expect(uids.size).toBe(files.length);
  });
});

describe('chart README (generated from the @param annotations of values.yaml)', () => {
  const valuesText = read('helm', 'platform-api', 'values.yaml');

  it('is current (run `npm run chart:readme` after changing values.yaml)', () => {
    expect(read('helm', 'platform-api', 'README.md')).toBe(
      buildChartReadme(valuesText, read('helm', 'platform-api', 'Chart.yaml')),
    );
  });

  it('documents every value, and documents no value that does not exist', () => {
    const values = parse(valuesText);
    const documented = params(valuesText).map((p) => p.path);
    const undocumented = leafPaths(values).filter(
      (leaf) => !documented.some((p) => leaf === p || leaf.startsWith(`${p}.`)),
    );
    expect(undocumented).toEqual([]);
    expect(documented.filter((p) => valueAt(values, p) === undefined)).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
    // The generator reads annotations; one that is wrong would show here.
    expect(read('helm', 'platform-api', 'README.md')).toMatch(
      /\| `metrics\.port` \| METRICS_PORT: .* \| `9300` \|/,
    );
  });
});
