/**
 * The npm registry mirror these machines use serves only the platform packages of this machine,
 * so `npm install` leaves the other platforms' optional native bindings (e.g. unrs-resolver's
 * @unrs/resolver-binding-darwin-arm64) out of package-lock.json, and `npm ci` then refuses the
 * lock as out of sync. This adds those entries the way npm writes them on an unfiltered registry
 * (version, os, cpu, libc, optional), so `npm ci` works here and elsewhere. Run after `npm install`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

type Entry = Record<string, unknown> & {
  version?: string;
  dev?: boolean;
  optionalDependencies?: Record<string, string>;
};
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'wasm32'];
const CPU: Record<string, string> = {
  arm: 'arm',
  'arm-eabi': 'arm',
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
};

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, Entry>;
};
let added = 0;
for (const [path, meta] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${path}/${key}`]) continue;
    const parts = name.split('/').pop()!.split('-');
    const os = parts.find((p) => OS.includes(p));
    if (!os || !/^\d/.test(version)) continue;
    const after = parts.slice(parts.indexOf(os) + 1);
    const cpu = CPU[after.slice(0, 2).join('-')] ?? CPU[after[0]];
    const libc = after.includes('musl')
      ? 'musl'
      : after.includes('gnu') && os === 'linux'
        ? 'glibc'
        : undefined;
    lock.packages[key] = {
      version,
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(meta.dev ? { dev: true } : {}),
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
  ),
);
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-optional-bindings: added ${added} entries`);
