import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where .ci/run installs actionlint and hadolint when a machine lacks them. */
export const TOOLS_DIR = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'platform-api-tools',
  'bin',
);

/** Absolute path of a command on PATH or in TOOLS_DIR; throws (so the test fails) when missing. */
export function tool(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), TOOLS_DIR]) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} is not installed: run .ci/run once (it installs it), or put ${name} on PATH`,
  );
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
