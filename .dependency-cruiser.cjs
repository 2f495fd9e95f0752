// @ts-check
// The layer rules of docs/architecture.md, checked by `npm run lint` (`npm run lint:deps` alone).
// Layers, lowest first; a layer imports only layers below it:
//   common/primitives (pure helpers, import nothing of ours)
//   config → observability → infra → common → features (+ health) → compat → composition root
const FEATURES = '(counter|tasks|ingest|eks|health)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere: a cycle makes load order and layering meaningless.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'primitives-import-nothing',
      severity: 'error',
      comment:
        'common/primitives are pure helpers every layer may use, so they import none of ours.',
      from: { path: '^src/common/primitives/' },
      to: { path: '^src/', pathNot: '^src/common/primitives/' },
    },
    {
      name: 'config-is-the-bottom-layer',
      severity: 'error',
      comment: 'config/ reads and validates the environment; it imports only primitives.',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|common/primitives)/' },
    },
    {
      name: 'observability-below-infra',
      severity: 'error',
      comment:
        'observability/ (metrics, logger) is used by infra and above; it imports config only.',
      from: { path: '^src/observability/' },
      to: { path: '^src/', pathNot: '^src/(config|observability|common/primitives)/' },
    },
    {
      name: 'infra-below-common',
      severity: 'error',
      comment:
        'infra/ builds clients of external systems: it knows config and metrics, no feature.',
      from: { path: '^src/infra/' },
      to: { path: '^src/', pathNot: '^src/(config|observability|infra|common/primitives)/' },
    },
    {
      name: 'common-imports-no-feature',
      severity: 'error',
      comment: 'common/ is cross-cutting (auth, errors, http, rate limits): no feature, no compat.',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/(config|observability|infra|common)/' },
    },
    {
      name: 'features-use-each-other-through-index',
      severity: 'error',
      comment:
        "A feature (or compat, or the root) reaches another feature only through its index.ts: the feature's public surface.",
      from: { path: '^src/([^/]+)' },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: ['^src/$1/', `^src/${FEATURES}/index\\.ts$`],
      },
    },
    {
      name: 'nothing-imports-compat',
      severity: 'error',
      comment: 'compat/ sits on top of the features; only the composition root imports it.',
      from: { path: '^src/', pathNot: ['^src/compat/', '^src/[^/]+\\.ts$'] },
      to: { path: '^src/compat/' },
    },
    {
      name: 'nothing-imports-the-root',
      severity: 'error',
      comment:
        'The composition root (src/*.ts) imports everything; nothing in a folder imports it.',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'A source file nobody imports is dead code (specs, entry points and types excepted).',
      from: {
        orphan: true,
        path: '^src/',
        pathNot: ['\\.spec\\.ts$', '\\.d\\.ts$', '^src/main\\.ts$', '^src/bootstrap\\.ts$'],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
