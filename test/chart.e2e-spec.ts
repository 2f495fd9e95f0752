import {
  find,
  helm,
  one,
  render,
  renderError,
  validateObjects,
  CHART,
  RELEASE,
  type K8sObject,
} from './support/chart';

/**
 * The Helm chart, rendered with each ci/ values file: lint, Kubernetes schema validation, and
 * assertions on the parsed objects (what a reviewer would check by reading the YAML).
 */
const VALUES = ['default-values.yaml', 'production-values.yaml', 'minimal-values.yaml'];
const fullname = `${RELEASE}-platform-api`;
const api = `${fullname}-api`;
const worker = `${fullname}-worker`;

const rendered: Record<string, K8sObject[]> = Object.fromEntries(VALUES.map((v) => [v, render(v)]));
const defaults = rendered['default-values.yaml'];
const prod = rendered['production-values.yaml'];
const minimal = rendered['minimal-values.yaml'];

const containerOf = (d: K8sObject) => d.spec.template.spec.containers[0];
const envOf = (d: K8sObject) =>
  Object.fromEntries(
    containerOf(d).env.map((e: { name: string; value?: string }) => [e.name, e.value ?? e]),
  );

describe('helm chart: lint and schemas', () => {
  it.each(VALUES)('passes helm lint --strict with ci/%s', (values) => {
    const r = helm(['lint', '--strict', CHART, '-f', `${CHART}/ci/${values}`]);
    expect(r.stderr + r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.status).toBe(0);
  });

  it('renders every object of every values file valid against the Kubernetes and CRD schemas', () => {
    const all = VALUES.flatMap((v) => rendered[v]);
    const results = validateObjects(all);
    expect(results).toHaveLength(all.length);
    expect(results.filter((r) => r.errors.length)).toEqual([]);
    // Every kind the chart can produce was validated at least once (CRDs included).
    expect(new Set(results.map((r) => r.kind))).toEqual(
      new Set([
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'NetworkPolicy',
        'Pod',
        'PodDisruptionBudget',
        'PrometheusRule',
        'ScaledObject',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
        'TriggerAuthentication',
      ]),
    );
  });

  it('the schema validator rejects a broken object and an unknown kind (it can fail)', () => {
    const bad = structuredClone(one(defaults, 'Deployment', api));
    bad.spec.replicas = 'two';
    containerOf(bad).ports[0].containerPort = 'http';
    const [broken, unknown] = validateObjects([
      bad,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
    ]);
    expect(broken.errors.join()).toMatch(/replicas must be integer|containerPort must be integer/);
    expect(unknown.errors).toEqual(['no schema known for example.com/v1 Widget']);
  });

  it.each([
    [['--set', 'api.replicaCount=two'], /replicaCount/],
    [['--set-string', 'api.autoscaling.enabled=yes'], /enabled/],
    [['--set', 'config.containerPort=http'], /containerPort/],
    [['--set', 'service.type=Magic'], /type/],
    [['--set', 'shutdown.drainDelaySeconds=-1'], /drainDelaySeconds/],
    [['--set', 'api.autoscaling.targetCPU=150'], /targetCPU/],
    [['--set', 'redis.url=http://redis:6379'], /url/],
    [['--set', 'auth.apiKeys[0]=short'], /apiKeys/],
    [['--set', 'unknownTopLevel=1'], /unknownTopLevel/],
  ])('values.schema.json rejects %j', (args, field) => {
    const err = renderError(args);
    expect(err).toMatch(/schema/i);
    expect(err).toMatch(field);
  });

  it('refuses values the schema cannot express: a PDB that would block drains, a drain longer than the timeout', () => {
    expect(renderError(['--set', 'api.pdb.minAvailable=2'])).toMatch(
      /api\.pdb\.minAvailable .* blocks every drain/,
    );
    // 99% of 2 guaranteed replicas rounds up to 2: nothing could ever be evicted.
    expect(renderError(['--set', 'api.pdb.minAvailable=99%'])).toMatch(
      /api\.pdb\.minAvailable \(99%\) .* blocks every drain/,
    );
    expect(
      one(render(undefined, ['--set', 'api.pdb.minAvailable=50%']), 'PodDisruptionBudget', api).spec
        .minAvailable,
    ).toBe('50%');
    expect(
      renderError([
        '--set',
        'shutdown.drainDelaySeconds=30',
        '--set',
        'shutdown.timeoutSeconds=30',
      ]),
    ).toMatch(/timeoutSeconds must be greater/);
    expect(renderError(['--set', 'keda.enabled=true'])).toMatch(/keda.queueUrl/);
  });
});

describe('helm chart: Deployments', () => {
  it('runs api and worker from the same image with APP_ROLE per Deployment (all when there is no worker)', () => {
    const [a, w] = [one(defaults, 'Deployment', api), one(defaults, 'Deployment', worker)];
    expect(containerOf(a).image).toBe(containerOf(w).image);
    expect(containerOf(a).image).toBe('ghcr.io/platform-api/platform-api:0.1.0');
    expect(envOf(a).APP_ROLE).toBe('api');
    expect(envOf(w).APP_ROLE).toBe('worker');
    expect(find(minimal, 'Deployment')).toHaveLength(1);
    expect(envOf(one(minimal, 'Deployment', api)).APP_ROLE).toBe('all');
    expect(containerOf(one(prod, 'Deployment', api)).image).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    );
  });

  it.each(VALUES)(
    'probes /health/live (startup, liveness) and /health/ready (readiness) on the http port (%s)',
    (values) => {
      for (const d of find(rendered[values], 'Deployment')) {
        const c = containerOf(d);
        expect(c.ports).toEqual([
          { name: 'http', containerPort: 3000, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9300, protocol: 'TCP' },
        ]);
        expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
        expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
        expect(
          c.startupProbe.failureThreshold * c.startupProbe.periodSeconds,
        ).toBeGreaterThanOrEqual(30);
      }
    },
  );

  it.each([
    ['default-values.yaml', 5, 25],
    ['production-values.yaml', 10, 40],
  ])(
    'matches preStop, SHUTDOWN_DELAY_MS and terminationGracePeriodSeconds (%s)',
    (values, drain, timeout) => {
      const cm = one(rendered[values], 'ConfigMap', fullname);
      expect(cm.data.SHUTDOWN_DELAY_MS).toBe(String(drain * 1000));
      expect(cm.data.SHUTDOWN_TIMEOUT_MS).toBe(String(timeout * 1000));
      for (const d of find(rendered[values], 'Deployment')) {
        expect(containerOf(d).lifecycle.preStop).toEqual({ sleep: { seconds: drain } });
        // preStop, then the app's own drain + close bounded by SHUTDOWN_TIMEOUT_MS, then a margin.
        expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(drain + timeout + 5);
      }
    },
  );

  it.each(VALUES)('applies the restricted pod security standard to every pod (%s)', (values) => {
    const pods = [
      ...find(rendered[values], 'Deployment').map((d) => d.spec.template.spec),
      ...find(rendered[values], 'Pod').map((p) => p.spec),
    ];
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const spec of pods) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.hostNetwork ?? false).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toEqual({
          runAsNonRoot: true,
          runAsUser: 1001,
          runAsGroup: 1001,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
    for (const d of find(rendered[values], 'Deployment')) {
      const spec = d.spec.template.spec;
      expect(spec.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
      expect(containerOf(d).volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(containerOf(d).resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(containerOf(d).resources.limits.memory).toEqual(expect.any(String));
    }
  });

  it('uses the recommended labels, and selectors of name + instance (+ component) only', () => {
    for (const o of defaults) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'platform-api',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': '0.1.0',
        'helm.sh/chart': 'platform-api-0.1.0',
      });
    }
    for (const [name, component] of [
      [api, 'api'],
      [worker, 'worker'],
    ]) {
      const selector = {
        'app.kubernetes.io/name': 'platform-api',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/component': component,
      };
      const d = one(defaults, 'Deployment', name);
      expect(d.spec.selector.matchLabels).toEqual(selector);
      expect(d.spec.template.metadata.labels).toMatchObject(selector);
      expect(one(defaults, 'Service', name).spec.selector).toEqual(selector);
      expect(one(defaults, 'PodDisruptionBudget', name).spec.selector.matchLabels).toEqual(
        selector,
      );
    }
    // commonLabels reach every object but never a selector.
    for (const o of prod) expect(o.metadata.labels.team).toBe('platform');
    expect(one(prod, 'Deployment', api).spec.selector.matchLabels.team).toBeUndefined();
  });

  it('rolls pods when the config or the keys change (checksum annotations)', () => {
    const annotations = (values: string[]) =>
      one(render(undefined, values), 'Deployment', api).spec.template.metadata.annotations;
    const base = annotations(['--set', 'auth.apiKeys[0]=key-aaaaaaaaaaaaaaaa']);
    expect(base['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(base['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
    expect(annotations(['--set', 'auth.apiKeys[0]=key-aaaaaaaaaaaaaaaa'])).toEqual(base);
    const logChanged = annotations([
      '--set',
      'auth.apiKeys[0]=key-aaaaaaaaaaaaaaaa',
      '--set',
      'config.logLevel=debug',
    ]);
    expect(logChanged['checksum/config']).not.toBe(base['checksum/config']);
    expect(logChanged['checksum/secret']).toBe(base['checksum/secret']);
    const keyChanged = annotations(['--set', 'auth.apiKeys[0]=key-bbbbbbbbbbbbbbbb']);
    expect(keyChanged['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(keyChanged['checksum/config']).toBe(base['checksum/config']);
    expect(
      one(defaults, 'Deployment', worker).spec.template.metadata.annotations['checksum/config'],
    ).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps API keys out of values and env: a Secret file (ours or existingSecret) through API_KEYS_FILE, api only', () => {
    const secret = one(minimal, 'Secret', fullname);
    expect(Buffer.from(secret.data['api-keys'], 'base64').toString()).toBe(
      'minimal-key-0123456789abcdef',
    );
    const generated = Buffer.from(
      one(defaults, 'Secret', fullname).data['api-keys'],
      'base64',
    ).toString();
    expect(generated).toMatch(/^gen-[A-Za-z0-9]{40}$/);
    expect(find(prod, 'Secret')).toEqual([]);
    const a = one(prod, 'Deployment', api);
    expect(envOf(a).API_KEYS_FILE).toBe('/etc/platform-api/keys/keys');
    expect(a.spec.template.spec.volumes).toContainEqual({
      name: 'api-keys',
      secret: {
        secretName: 'platform-api-keys',
        defaultMode: 0o440,
        items: [{ key: 'keys', path: 'keys' }],
      },
    });
    expect(envOf(one(prod, 'Deployment', worker)).API_KEYS_FILE).toBeUndefined();
    expect(envOf(a).REDIS_URL).toEqual({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'platform-api-redis', key: 'url' } },
    });
    expect(one(prod, 'ConfigMap', fullname).data.REDIS_URL).toBeUndefined();
    for (const o of [...defaults, ...prod])
      if (o.kind === 'ConfigMap') expect(JSON.stringify(o.data)).not.toMatch(/API_KEYS=|apiKeys/);
  });

  it('renders the configuration the app validates, including feature variables from config.extraEnv', () => {
    const cm = one(prod, 'ConfigMap', fullname).data;
    expect(cm).toMatchObject({
      NODE_ENV: 'production',
      PORT: '3000',
      HOST: '0.0.0.0',
      AWS_REGION: 'eu-west-1',
      K8S_AUTH: 'in-cluster',
      INGEST_QUEUE_NAME: 'platform-ingest',
      COUNTER_IDEMPOTENCY_TTL_SECONDS: '86400',
      INGEST_CONSUMERS: '8',
      BODY_LIMIT_BYTES: '1048576',
    });
    for (const d of find(prod, 'Deployment'))
      expect(containerOf(d).envFrom[0]).toEqual({ configMapRef: { name: fullname } });
  });

  it('spreads replicas softly by default (hostname anti-affinity, zone spread) and hard when asked', () => {
    const spec = one(defaults, 'Deployment', api).spec.template.spec;
    expect(
      spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
        .podAffinityTerm.topologyKey,
    ).toBe('kubernetes.io/hostname');
    expect(spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    const hard = one(prod, 'Deployment', api).spec.template.spec.affinity.podAntiAffinity;
    expect(hard.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    expect(one(minimal, 'Deployment', api).spec.template.spec.affinity).toBeUndefined();
  });
});

describe('helm chart: scaling and disruption', () => {
  it('gives each Deployment its own autoscaling/v2 HPA with cpu and memory targets and behavior from values', () => {
    const hpa = one(defaults, 'HorizontalPodAutoscaler', api);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: api },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
        },
      },
    });
    expect(one(defaults, 'HorizontalPodAutoscaler', worker).spec.scaleTargetRef.name).toBe(worker);
    // An HPA owns the replica count: the Deployment leaves it out.
    expect(one(defaults, 'Deployment', api).spec.replicas).toBeUndefined();
    const prodHpa = one(prod, 'HorizontalPodAutoscaler', api).spec;
    expect(prodHpa).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(prodHpa.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ]);
  });

  it('scales the worker with KEDA on SQS depth instead of an HPA when keda.enabled', () => {
    expect(find(prod, 'HorizontalPodAutoscaler', worker)).toEqual([]);
    const so = one(prod, 'ScaledObject', worker);
    expect(so.spec).toMatchObject({
      scaleTargetRef: { name: worker },
      minReplicaCount: 2,
      maxReplicaCount: 30,
      triggers: [
        {
          type: 'aws-sqs-queue',
          authenticationRef: { name: worker },
          metadata: {
            queueURL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/platform-ingest',
            queueLength: '200',
            awsRegion: 'eu-west-1',
          },
        },
      ],
    });
    expect(one(prod, 'TriggerAuthentication', worker).spec.podIdentity).toEqual({
      provider: 'aws',
      identityOwner: 'workload',
    });
    expect(one(prod, 'Deployment', worker).spec.replicas).toBeUndefined();
    expect(find(defaults, 'ScaledObject')).toEqual([]);
  });

  it('renders a PDB only when it can never block a drain, maxUnavailable by default, AlwaysAllow for unhealthy pods', () => {
    const pdb = one(defaults, 'PodDisruptionBudget', api);
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toMatchObject({
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(pdb.spec.minAvailable).toBeUndefined();
    expect(one(prod, 'PodDisruptionBudget', api).spec).toMatchObject({
      minAvailable: 2,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    // One replica (minimal), or an HPA that may scale to one: no PDB at all.
    expect(find(minimal, 'PodDisruptionBudget')).toEqual([]);
    const single = render(undefined, [
      '--set',
      'api.autoscaling.minReplicas=1',
      '--set',
      'worker.autoscaling.enabled=false',
      '--set',
      'worker.replicaCount=1',
    ]);
    expect(find(single, 'PodDisruptionBudget')).toEqual([]);
    const fixed = render(undefined, [
      '--set',
      'api.autoscaling.enabled=false',
      '--set',
      'api.replicaCount=3',
    ]);
    expect(one(fixed, 'Deployment', api).spec.replicas).toBe(3);
    expect(find(fixed, 'PodDisruptionBudget', api)).toHaveLength(1);
  });
});

describe('helm chart: access, traffic and monitoring', () => {
  it('grants exactly the least RBAC the eks feature documents, bound to the chart ServiceAccount', () => {
    const role = one(defaults, 'ClusterRole', fullname);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'get', 'list', 'delete'] },
      {
        apiGroups: ['batch'],
        resources: ['jobs'],
        verbs: ['create', 'get', 'list', 'watch', 'delete'],
      },
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
    ]);
    const binding = one(defaults, 'ClusterRoleBinding', fullname);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: fullname,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: fullname, namespace: 'apps' },
    ]);
    expect(one(defaults, 'Deployment', api).spec.template.spec.serviceAccountName).toBe(fullname);
    expect(find(minimal, 'ClusterRole')).toEqual([]);
    expect(one(prod, 'ServiceAccount', fullname).metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/platform-api',
    });
  });

  it('exposes the api through a Service and an optional Ingress with class, TLS and annotations', () => {
    expect(one(defaults, 'Service', api).spec).toMatchObject({
      type: 'ClusterIP',
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'metrics', port: 9300, targetPort: 'metrics' },
      ],
    });
    expect(one(defaults, 'Service', worker).spec.ports[0]).toMatchObject({
      name: 'http',
      targetPort: 'http',
    });
    expect(find(defaults, 'Ingress')).toEqual([]);
    const ing = one(prod, 'Ingress', fullname);
    expect(ing.spec.ingressClassName).toBe('alb');
    expect(ing.spec.tls).toEqual([
      { hosts: ['platform-api.example.com'], secretName: 'platform-api.example.com-tls' },
    ]);
    expect(ing.spec.rules[0].http.paths[0].backend).toEqual({
      service: { name: api, port: { name: 'http' } },
    });
    expect(ing.metadata.annotations['alb.ingress.kubernetes.io/target-type']).toBe('ip');
  });

  it('limits traffic with a NetworkPolicy: chosen namespaces in, DNS and configured destinations out', () => {
    const open = one(defaults, 'NetworkPolicy', fullname);
    expect(open.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(open.spec.egress).toEqual([{}]);
    const np = one(prod, 'NetworkPolicy', fullname).spec;
    expect(np.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'platform-api',
      'app.kubernetes.io/instance': RELEASE,
    });
    expect(np.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    expect(np.ingress[0].from).toContainEqual({ ipBlock: { cidr: '10.0.0.0/22' } });
    expect(np.egress[0]).toEqual({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    expect(np.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.0.0.0/16' } }],
      ports: [{ port: 6379, protocol: 'TCP' }],
    });
    expect(np.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    // The legacy single-namespace selector still renders as a peer.
    const legacy = one(
      render(undefined, [
        '--set',
        'networkPolicy.allowExternal=false',
        '--set',
        'networkPolicy.ingressNSMatchLabels.team=edge',
      ]),
      'NetworkPolicy',
      fullname,
    ).spec;
    expect(legacy.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { team: 'edge' } },
    });
    expect(find(minimal, 'NetworkPolicy')).toEqual([]);
  });

  it('scrapes /metrics of both Services with a ServiceMonitor carrying extra labels', () => {
    expect(find(defaults, 'ServiceMonitor')).toEqual([]);
    const sm = one(prod, 'ServiceMonitor', fullname);
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'platform-api',
      'app.kubernetes.io/instance': RELEASE,
    });
    expect(sm.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['apps'] });
  });

  it('ships the alerts the issue lists, with thresholds from values', () => {
    const rule = one(prod, 'PrometheusRule', fullname);
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    const alerts = Object.fromEntries(
      rule.spec.groups
        .flatMap((g: { rules: { alert?: string; expr: string }[] }) => g.rules)
        .filter((r: { alert?: string }) => r.alert)
        .map((r: { alert: string; expr: string }) => [r.alert, r.expr]),
    );
    expect(Object.keys(alerts).sort()).toEqual(
      [
        'PlatformApiDown',
        'PlatformWorkerDown',
        'PlatformApiHighErrorRate',
        'PlatformApiHighLatency',
        'PlatformPodRestarting',
        'PlatformTaskFailures',
        'PlatformTaskBacklog',
        'PlatformIngestDeadLetters',
        'PlatformIngestFailures',
        'PlatformIngestConsumerLag',
        'PlatformKubernetesApiErrors',
        'PlatformApiAvailabilityBudgetBurn',
        'PlatformApiAvailabilityBudgetBurnSlow',
        'PlatformApiLatencyBudgetBurn',
        'PlatformApiLatencyBudgetBurnSlow',
      ].sort(),
    );
    expect(alerts.PlatformApiHighErrorRate).toMatch(/> 0\.02\s*$/);
    expect(alerts.PlatformApiHighLatency).toMatch(/> 0\.3\s*$/);
    expect(alerts.PlatformApiDown).toBe(
      `sum by (namespace, job) (up{namespace="apps",job="${api}"}) == 0 or absent(up{namespace="apps",job="${api}"})`,
    );
    expect(alerts.PlatformIngestDeadLetters).toMatch(/queue="dlq".*> 0$/);
  });

  it('ships every dashboard as a ConfigMap with the Grafana sidecar label, where asked', () => {
    const cms = find(prod, 'ConfigMap').filter((c) => c.metadata.name.includes('-dashboard-'));
    expect(cms.map((c) => c.metadata.name).sort()).toEqual(
      ['ingest', 'kubernetes', 'node-runtime', 'overview', 'tasks'].map(
        (d) => `${fullname}-dashboard-${d}`,
      ),
    );
    for (const cm of cms) {
      expect(cm.metadata.namespace).toBe('monitoring');
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(cm.metadata.annotations.grafana_folder).toBe('platform');
      const [file, json] = Object.entries(cm.data as Record<string, string>)[0];
      expect(JSON.parse(json).uid).toBe(
        `platform-api-${file.replace('.json', '').replace('node-runtime', 'node')}`,
      );
    }
    expect(find(defaults, 'ConfigMap')).toHaveLength(1);
  });

  it('adds a helm test hook that calls /health/ready through the api Service, and NOTES on reaching it', () => {
    const pod = one(defaults, 'Pod', `${fullname}-test-ready`);
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.containers[0].args.at(-1)).toBe(`http://${api}:80/health/ready`);
    expect(pod.spec.restartPolicy).toBe('Never');
    const notes = helm([
      'install',
      RELEASE,
      CHART,
      '--dry-run=client',
      '--namespace',
      'apps',
      '-f',
      `${CHART}/ci/production-values.yaml`,
    ]);
    expect(notes.status).toBe(0);
    expect(notes.stdout).toMatch(/https:\/\/platform-api\.example\.com\//);
    expect(notes.stdout).toMatch(/get secret platform-api-keys/);
    expect(notes.stdout).toMatch(/helm test rel/);
  });
});

describe('helm chart: production networking and the metrics port', () => {
  const configOf = (objects: K8sObject[]) => one(objects, 'ConfigMap', fullname).data;
  const portsOf = (svc: K8sObject) =>
    Object.fromEntries(
      svc.spec.ports.map((p: { name: string; port: number; targetPort: string }) => [
        p.name,
        p.targetPort,
      ]),
    );

  it.each(VALUES)('serves /metrics on its own port, which the Services expose (%s)', (values) => {
    const objects = rendered[values];
    const cfg = configOf(objects);
    expect(cfg.METRICS_PORT).toBe('9300');
    expect(cfg.METRICS_PORT).not.toBe(cfg.PORT);
    for (const d of find(objects, 'Deployment')) {
      expect(containerOf(d).ports).toContainEqual({
        name: 'metrics',
        containerPort: Number(cfg.METRICS_PORT),
        protocol: 'TCP',
      });
    }
    for (const svc of find(objects, 'Service'))
      expect(portsOf(svc)).toEqual({ http: 'http', metrics: 'metrics' });
  });

  it('the ServiceMonitor scrapes the metrics port; the Ingress routes only the http port', () => {
    const sm = one(prod, 'ServiceMonitor', fullname);
    expect(sm.spec.endpoints.map((e: { port: string }) => e.port)).toEqual(['metrics']);
    const ing = one(prod, 'Ingress', fullname);
    const backends = ing.spec.rules.flatMap(
      (r: { http: { paths: { backend: { service: { port: object } } }[] } }) =>
        r.http.paths.map((p) => p.backend.service.port),
    );
    expect(backends).toEqual([{ name: 'http' }]);
    // The Service's http port reaches the container's http port, never metrics.
    expect(portsOf(one(prod, 'Service', api)).http).toBe('http');
    expect(configOf(prod).DOCS_ENABLED).toBe('false');
    expect(configOf(defaults).DOCS_ENABLED).toBe('true');
  });

  it('production NetworkPolicy admits the ALB subnets on http and only Prometheus on metrics', () => {
    const np = one(prod, 'NetworkPolicy', fullname).spec;
    const self = {
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'platform-api',
          'app.kubernetes.io/instance': RELEASE,
        },
      },
    };
    const rule = (port: string) =>
      np.ingress.filter((r: { ports: { port: string }[] }) => r.ports.some((p) => p.port === port));
    // Every ingress rule names its sources: nothing is open to all.
    for (const r of np.ingress) expect(r.from?.length).toBeGreaterThan(0);
    expect(rule('http')).toEqual([
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [
          self,
          { ipBlock: { cidr: '10.0.0.0/22' } },
          { ipBlock: { cidr: '10.0.4.0/22' } },
          { ipBlock: { cidr: '10.0.8.0/22' } },
        ],
      },
    ]);
    expect(rule('metrics')).toEqual([
      {
        ports: [{ port: 'metrics', protocol: 'TCP' }],
        from: [
          self,
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
      },
    ]);
    // Egress: DNS, own pods, Redis, AWS APIs, the Kubernetes API; nothing open-ended.
    expect(np.egress).not.toContainEqual({});
    expect(np.egress).toContainEqual({
      ports: [{ port: 443, protocol: 'TCP' }],
      to: [{ ipBlock: { cidr: '10.0.0.0/16' } }],
    });
    expect(np.egress).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    expect(np.egress).toContainEqual({
      ports: [{ port: 6379, protocol: 'TCP' }],
      to: [{ ipBlock: { cidr: '10.0.0.0/16' } }],
    });
  });

  it('refuses a metrics port equal to the http port and malformed network sources', () => {
    expect(renderError(['--set', 'metrics.port=3000'])).toMatch(
      /metrics\.port must differ from config\.containerPort/,
    );
    expect(renderError(['--set', 'networkPolicy.ingressFrom[0].ipBlock.cidr=10.0.0.0'])).toMatch(
      /ingressFrom/,
    );
    expect(renderError(['--set', 'networkPolicy.metricsFrom[0].nope=x'])).toMatch(/metricsFrom/);
  });

  it('renders identically twice (no random or time-dependent output)', () => {
    const twice = (values: string[]) => {
      const args = ['template', RELEASE, CHART, '--namespace', 'apps', ...values];
      const [a, b] = [helm(args), helm(args)];
      expect(a.status).toBe(0);
      return [a.stdout, b.stdout];
    };
    for (const values of ['production-values.yaml', 'minimal-values.yaml']) {
      const [a, b] = twice(['-f', `${CHART}/ci/${values}`]);
      expect(b).toBe(a);
    }
    // Defaults (no auth.apiKeys, no existingSecret): the chart generates a dev API key, random per
    // render until the authorization work lands; everything else must be identical.
    const [a, b] = twice([]);
    const stable = (out: string) =>
      out
        .replace(/^(\s+api-keys: ).*$/gm, '$1<generated>')
        .replace(/^(\s+checksum\/secret: ).*$/gm, '$1<generated>');
    expect(stable(b)).toBe(stable(a));
  });
});

describe('helm chart: security settings as values', () => {
  it('sets the eks feature limits from values, the own namespace always', () => {
    const cfg = one(prod, 'ConfigMap', fullname).data;
    expect(cfg.K8S_SELF_NAMESPACE).toBe('apps');
    expect(cfg.JOB_IMAGE_ALLOWLIST).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/');
    expect(one(defaults, 'ConfigMap', fullname).data.JOB_IMAGE_ALLOWLIST).toBeUndefined();
    const eks = one(
      render(undefined, [
        '--set',
        'kubernetes.auth=eks',
        '--set',
        'kubernetes.eksClusterName=prod-1',
        '--set',
        'kubernetes.namespaceAllowlist={batch,reports}',
      ]),
      'ConfigMap',
      fullname,
    ).data;
    expect(eks).toMatchObject({
      K8S_AUTH: 'eks',
      EKS_CLUSTER_NAME: 'prod-1',
      K8S_NAMESPACE_ALLOWLIST: 'batch,reports',
    });
  });

  it.each([
    [['--set', 'kubernetes.auth=eks'], /eksClusterName/],
    [['--set', 'kubernetes.eksClusterName=-bad'], /eksClusterName/],
    [['--set', 'kubernetes.namespaceAllowlist={kube-system}'], /namespaceAllowlist/],
    [['--set', 'kubernetes.namespaceAllowlist={Not_A_Label}'], /namespaceAllowlist/],
    [
      [
        '--set',
        'kubernetes.jobImageAllowlist={a.io/x,b.io/y}',
        '--set',
        'kubernetes.jobImageAllowlist[0]=a b',
      ],
      /jobImageAllowlist/,
    ],
  ])('the schema refuses %j', (args, field) => {
    const err = renderError(args);
    expect(err).toMatch(/schema/i);
    expect(err).toMatch(field);
  });
});
