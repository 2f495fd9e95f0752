/**
 * The route → scope table of docs/authorization.md, generated from the OpenAPI document (each
 * operation's `x-required-scopes`). The authz e2e suite checks the page against the running app
 * and rewrites it when run with UPDATE_DOCS=1.
 */
export const BEGIN = '<!-- scopes:begin (generated from the OpenAPI document; do not edit) -->';
export const END = '<!-- scopes:end -->';

interface Operation {
  summary?: string;
  deprecated?: boolean;
  security?: unknown[];
  'x-required-scopes'?: string[];
}

export function scopeTable(doc: { paths: Record<string, Record<string, Operation>> }): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      const scope = isPublic
        ? 'public (no key)'
        : (op['x-required-scopes'] ?? ['admin (none declared)']).map((s) => `\`${s}\``).join(', ');
      const what = (op.summary ?? '').replace(/\|/g, '\\|');
      rows.push(
        `| \`${method.toUpperCase()} ${path}\` | ${scope} | ${op.deprecated ? 'compat: ' : ''}${what} |`,
      );
    }
  }
  return ['| route | scope | what |', '|---|---|---|', ...rows].join('\n');
}

/** The page with its generated block replaced by the table of this document. */
export function renderAuthorizationDoc(
  doc: { paths: Record<string, Record<string, Operation>> },
  page: string,
): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/authorization.md lacks the ${BEGIN} block`);
  return `${page.slice(0, start + BEGIN.length)}\n${scopeTable(doc)}\n${page.slice(end)}`;
}
