import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCOPES, type Scope } from '../../src/config';

export const FILE = 'keys.yaml';

/** A key per scope, holding only that scope: `scope-counters.read` → `k-counters-read-…`. */
export const scopeKey = (s: Scope) => `k-${s.replace(':', '-')}-0123456789abcdef`;
export const scopeId = (s: Scope) => `scope-${s.replace(':', '.')}`;
export const scopeEntries = () =>
  SCOPES.map((s) => `  - id: ${scopeId(s)}\n    key: ${scopeKey(s)}\n    scopes: [${s}]\n`).join(
    '',
  );

/**
 * A directory laid out the way the kubelet mounts a Secret: `keys.yaml → ..data/keys.yaml`,
 * `..data → ..<timestamp>`; `swap` writes a new timestamped directory and renames a fresh
 * `..data` symlink over the old one (atomic), then removes the old directory, as the kubelet does.
 */
export class KubeletMount {
  readonly dir = mkdtempSync(join(tmpdir(), 'secret-'));
  readonly path = join(this.dir, FILE);
  private current?: string;
  private n = 0;

  constructor(text: string) {
    this.swap(text, true);
    symlinkSync(join('..data', FILE), this.path);
  }

  swap(text: string, first = false): void {
    const name = `..2026_12_02_00_00_${String(this.n++).padStart(2, '0')}.${process.pid}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, FILE), text);
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(name, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    if (!first && this.current) rmSync(join(this.dir, this.current), { recursive: true });
    this.current = name;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
