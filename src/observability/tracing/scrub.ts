/**
 * Query strings never leave the process in a span: values are replaced, names kept
 * (`/v1/tasks?state=failed&token=abc` → `/v1/tasks?state=[redacted]&token=[redacted]`).
 * Pure, so the rule is unit-tested; the span processor in sdk.ts applies it to every URL-like
 * attribute just before a span ends.
 */
export const REDACTED = '[redacted]';

export function scrubQuery(value: string): string {
  const q = value.indexOf('?');
  if (q < 0) return value;
  const hash = value.indexOf('#', q);
  const query = value.slice(q + 1, hash < 0 ? undefined : hash);
  return `${value.slice(0, q)}?${scrubQueryString(query)}`;
}

/** `a=1&b` → `a=[redacted]&b=[redacted]`; the names stay so a trace still says what was asked. */
export function scrubQueryString(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => `${pair.split('=')[0]}=${REDACTED}`)
    .join('&');
}

/** Attributes that carry a URL (old and current HTTP semantic conventions) or a bare query. */
export const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target', 'url.path'] as const;
export const QUERY_ATTRIBUTES = ['url.query'] as const;
