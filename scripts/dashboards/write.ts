/** `npm run dashboards`: writes the dashboards built in build.ts into the chart's files/. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboards } from './build.ts';

const dir = join(process.cwd(), 'helm/platform-api/files/dashboards'); // npm scripts run at the root
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
for (const [file, text] of Object.entries(buildDashboards())) writeFileSync(join(dir, file), text);
console.log(`wrote ${Object.keys(buildDashboards()).length} dashboards to ${dir}`);
