/**
 * Hostile job manifests (seed-style, for POST /api/eks-create-job) and every violation path the
 * policy must report for each. Replayed against the real API server (test/support/eks-cases.ts).
 */
export const IMAGE = 'registry.example.com/tools/report:1.2';
export const P = 'spec.template.spec';
export const C = `${P}.containers.0`;
export type Obj = Record<string, unknown>;

/** A seed-style manifest whose pod spec and first container take the given extras. */
export const manifest = (pod: Obj = {}, container: Obj = {}, top: Obj = {}) => ({
  ...top,
  spec: {
    ...(top.spec as Obj),
    template: {
      spec: { containers: [{ name: 'job-container', image: IMAGE, ...container }], ...pod },
    },
  },
});

/** [what, manifest, every violation path expected] */
export const HOSTILE: [string, Obj, string[]][] = [
  [
    'privileged',
    manifest({}, { securityContext: { privileged: true } }),
    [`${C}.securityContext.privileged`],
  ],
  [
    'hostPath volume',
    manifest({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
    [`${P}.volumes.0.hostPath`],
  ],
  ['hostNetwork', manifest({ hostNetwork: true }), [`${P}.hostNetwork`]],
  ['hostPID', manifest({ hostPID: true }), [`${P}.hostPID`]],
  ['hostIPC', manifest({ hostIPC: true }), [`${P}.hostIPC`]],
  [
    'hostPort',
    manifest({}, { ports: [{ containerPort: 80, hostPort: 80 }] }),
    [`${C}.ports.0.hostPort`],
  ],
  [
    'added capabilities',
    manifest({}, { securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
    [`${C}.securityContext.capabilities.add`],
  ],
  [
    'runAsUser 0 (container)',
    manifest({}, { securityContext: { runAsUser: 0 } }),
    [`${C}.securityContext.runAsUser`],
  ],
  [
    'runAsUser 0 (pod)',
    manifest({ securityContext: { runAsUser: 0 } }),
    [`${P}.securityContext.runAsUser`],
  ],
  [
    'runAsNonRoot false',
    manifest({}, { securityContext: { runAsNonRoot: false } }),
    [`${C}.securityContext.runAsNonRoot`],
  ],
  [
    'allowPrivilegeEscalation',
    manifest({}, { securityContext: { allowPrivilegeEscalation: true } }),
    [`${C}.securityContext.allowPrivilegeEscalation`],
  ],
  [
    'seccomp Unconfined',
    manifest({ securityContext: { seccompProfile: { type: 'Unconfined' } } }),
    [`${P}.securityContext.seccompProfile.type`],
  ],
  [
    'nfs volume',
    manifest({ volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] }),
    [`${P}.volumes.0.nfs`],
  ],
  ['serviceAccountName', manifest({ serviceAccountName: 'admin' }), [`${P}.serviceAccountName`]],
  [
    'secret via valueFrom',
    manifest({}, { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }),
    [`${C}.env.0.valueFrom`],
  ],
  ['envFrom secret', manifest({}, { envFrom: [{ secretRef: { name: 's' } }] }), [`${C}.envFrom`]],
  [
    'image outside the allow-list',
    manifest({}, { image: 'docker.io/evil/miner:latest' }),
    [`${C}.image`],
  ],
  [
    'over the CPU cap',
    manifest({}, { resources: { limits: { cpu: '64' } } }),
    [`${C}.resources.limits.cpu`],
  ],
  [
    'backoffLimit over the cap',
    manifest({}, {}, { spec: { backoffLimit: 1000 } }),
    ['spec.backoffLimit'],
  ],
  [
    'forged ownership label',
    manifest({}, {}, { metadata: { labels: { 'app.kubernetes.io/managed-by': 'platform-api' } } }),
    ['metadata.labels.app.kubernetes.io/managed-by'],
  ],
  [
    'other namespace in the manifest',
    manifest({}, {}, { metadata: { namespace: 'kube-system' } }),
    ['metadata.namespace'],
  ],
  [
    'everything at once',
    manifest(
      {
        hostNetwork: true,
        hostPID: true,
        serviceAccountName: 'admin',
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
      },
      {
        image: 'docker.io/evil:1',
        securityContext: {
          privileged: true,
          runAsUser: 0,
          capabilities: { add: ['SYS_ADMIN'] },
          allowPrivilegeEscalation: true,
        },
      },
    ),
    [
      `${P}.hostNetwork`,
      `${P}.hostPID`,
      `${P}.serviceAccountName`,
      `${P}.volumes.0.hostPath`,
      `${C}.image`,
      `${C}.securityContext.runAsUser`,
      `${C}.securityContext.privileged`,
      `${C}.securityContext.allowPrivilegeEscalation`,
      `${C}.securityContext.capabilities.add`,
    ],
  ],
];
