/**
 * A plain JSON object: `{...}` (prototype Object or null), not null, not an array, not a class
 * instance. What a JSON body, a payload or a manifest field must be.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Any object that is not null or an array, class instances included (a validated DTO's nested
 * fields are instances): what the eks policy walks.
 */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
