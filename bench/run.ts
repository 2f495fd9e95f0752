/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (each starts what it needs and prints a
 * last JSON line), then prints one table of ratios. Ratios, not absolute numbers, are the result:
 * these machines are noisy, and each baseline runs in the same script as what it is compared to.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync } from 'node:fs';

interface Result {
  bench: string;
  ours: number;
  baseline: number;
  unit: string;
  ratio: number;
  target: number | null;
}

const only = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const results: Result[] = [];
for (const file of files) {
  console.log(`\n## ${file}`);
  const run = spawnSync(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', `bench/${file}`],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10 * 60_000,
    },
  );
  process.stdout.write(run.stdout ?? '');
  const last = (run.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    results.push(JSON.parse(last) as Result);
  } catch {
    results.push({
      bench: file,
      ours: NaN,
      baseline: NaN,
      unit: `failed (exit ${run.status})`,
      ratio: NaN,
      target: null,
    });
  }
}
const cpu = cpus();
console.log(`\nMachine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}`);
console.log('| benchmark | ours | baseline | unit | ratio | target |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  const target = r.target === null ? '—' : `≥ ${r.target}`;
  const ok = r.target === null ? '' : r.ratio >= r.target ? ' ✓' : ' ✗';
  console.log(
    `| ${r.bench} | ${r.ours} | ${r.baseline} | ${r.unit} | ${r.ratio}${ok} | ${target} |`,
  );
}
