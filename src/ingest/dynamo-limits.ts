import { badCharacters, escapeBadCharacters } from './sqs-characters';

/** DynamoDB's number range (38 digits of precision aside, which JSON's doubles never exceed). */
const MIN_MAGNITUDE = 1e-130;
const MAX_MAGNITUDE = 1e126;
/** DynamoDB nests attributes at most 32 levels deep; the payload map itself is one of them. */
export const MAX_PAYLOAD_DEPTH = 31;

export interface Unstorable {
  /** Where in the payload, dotted (`items.3.price`); empty for the payload itself. */
  path: string;
  reason: string;
}

/**
 * What DynamoDB (or SQS, for characters) would refuse in a payload, found before it is queued: a
 * refused message would otherwise only surface in the dead-letter queue, or fail every send.
 * Booleans and null always fit; strings and keys must be characters SQS takes (sqs-characters.ts).
 */
export function findUnstorable(payload: Record<string, unknown>): Unstorable | undefined {
  return walk(payload, '', 1);
}

function walk(v: unknown, path: string, depth: number): Unstorable | undefined {
  if (typeof v === 'number') {
    const m = Math.abs(v);
    if (m !== 0 && (m < MIN_MAGNITUDE || m >= MAX_MAGNITUDE)) {
      return {
        path,
        reason: `number ${v} is outside DynamoDB's range (1e-130 to 1e126 in magnitude)`,
      };
    }
    return undefined;
  }
  if (typeof v === 'string') {
    const bad = badCharacters(v);
    return bad ? { path, reason: `string ${bad}` } : undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_PAYLOAD_DEPTH)
    return { path, reason: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` };
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  for (const [k, x] of entries) {
    const badKey = Array.isArray(v) ? undefined : badCharacters(k);
    if (badKey) {
      const key = escapeBadCharacters(k);
      return { path: path ? `${path}.${key}` : key, reason: `key ${badKey}` };
    }
    const found = walk(x, path ? `${path}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return undefined;
}
