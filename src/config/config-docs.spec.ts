import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { ENV_SCHEMAS } from './index';

const root = join(__dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

/** Variables the service reads through the AWS SDK's own conventions, not its schema. */
const SDK_VARIABLES = new Set(['AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_DYNAMODB']);

/** name → default (undefined when the variable has none) of every schema class. */
function schemaVariables(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const schema of ENV_SCHEMAS) {
    const defaults = new schema() as Record<string, unknown>;
    const validated = getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((m) => m.propertyName);
    for (const name of new Set([...Object.keys(defaults), ...validated]))
      out.set(name, defaults[name]);
  }
  return out;
}

/**
 * The README's configuration rows: `NAME` (or `A` / `B`, or `A_DEFAULT_X` / `_MAX_X`) and the
 * default column, split the same way.
 */
function readmeRows(): { name: string; documented: string }[] {
  const md = read('README.md');
  const section = md.slice(
    md.indexOf('## Configuration'),
    md.indexOf('\n## ', md.indexOf('## Configuration') + 5),
  );
  const rows: { name: string; documented: string }[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith('`')) continue;
    const names = [...cells[1].matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((m) => m[1]);
    const first = names[0];
    const expanded = names.map((n, i) =>
      i > 0 && n.startsWith('_') ? first.slice(0, first.indexOf('_DEFAULT')) + n : n,
    );
    const defaults = cells[2].split(' / ');
    expanded.forEach((name, i) =>
      rows.push({
        name,
        documented: (defaults.length === names.length ? defaults[i] : cells[2]).trim(),
      }),
    );
  }
  return rows;
}

describe('configuration has one source of truth (the schema classes)', () => {
  const vars = schemaVariables();
  const rows = readmeRows();

  it('the README documents every variable of the schema', () => {
    const documented = new Set(rows.map((r) => r.name));
    expect([...vars.keys()].filter((v) => !documented.has(v))).toEqual([]);
  });

  it('the README documents no variable the service does not read', () => {
    expect(rows.map((r) => r.name).filter((n) => !vars.has(n) && !SDK_VARIABLES.has(n))).toEqual(
      [],
    );
  });

  it("the README's defaults are the schema's", () => {
    const wrong = rows.flatMap(({ name, documented }) => {
      const def = vars.get(name);
      if (def === undefined || def === '') return []; // "—", "– (any)", "AWS_REGION": prose
      const literal = documented.replace(/^`|`$/g, '');
      return String(def) === literal
        ? []
        : [`${name}: README ${documented}, schema ${String(def)}`];
    });
    expect(wrong).toEqual([]);
  });

  it('the chart sets only variables the service reads', () => {
    const chart = ['values.yaml', 'templates/configmap.yaml', 'templates/_deployment.tpl']
      .map((f) => read(`helm/platform-api/${f}`))
      .join('\n');
    const named = new Set(
      [...chart.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)].map((m) => m[1]),
    );
    const unknown = [...named].filter(
      (n) => !vars.has(n) && !SDK_VARIABLES.has(n) && !/^(AWS|OTEL|NODE)_/.test(n),
    );
    expect(unknown).toEqual([]);
  });
});
