// Nest 12 is ESM-only while this project compiles to CommonJS: Node 24 can require() ESM, and
// Jest can too when run with --experimental-vm-modules (see package.json scripts).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
const common = { testEnvironment: 'node', transform, moduleNameMapper, rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  maxWorkers: 2,
  testTimeout: 30000,
};
