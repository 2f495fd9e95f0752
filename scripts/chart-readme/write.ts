/** `npm run chart:readme`: writes helm/platform-api/README.md from the values.yaml annotations. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildChartReadme } from './build.ts';

const chart = join(process.cwd(), 'helm/platform-api'); // npm scripts run at the root
const text = buildChartReadme(
  readFileSync(join(chart, 'values.yaml'), 'utf8'),
  readFileSync(join(chart, 'Chart.yaml'), 'utf8'),
);
writeFileSync(join(chart, 'README.md'), text);
console.log(`wrote ${join(chart, 'README.md')}`);
