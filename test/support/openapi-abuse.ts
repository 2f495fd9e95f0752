import fc from 'fast-check';

/** Minimal OpenAPI shapes the abuse suite walks. */
export interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
}
export interface Operation {
  method: string;
  path: string;
  deprecated?: boolean;
  parameters: Array<{ name: string; in: string; schema?: Schema; required?: boolean }>;
  body?: Schema;
  responses: string[];
}

/** Every operation of the document, with $refs in request bodies resolved. */
export function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
}): Operation[] {
  const resolve = (s: Schema | undefined, depth = 0): Schema | undefined => {
    if (!s || depth > 8) return s;
    if (s.$ref) return resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!], depth + 1);
    if (s.allOf)
      return resolve(Object.assign({}, ...s.allOf.map((x) => resolve(x, depth + 1))), depth + 1);
    const props =
      s.properties &&
      Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, resolve(v, depth + 1)!]));
    return {
      ...s,
      ...(props ? { properties: props } : {}),
      ...(s.items ? { items: resolve(s.items, depth + 1) } : {}),
    };
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const op = raw as {
        deprecated?: boolean;
        parameters?: Operation['parameters'];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
        responses?: Record<string, unknown>;
      };
      ops.push({
        method: method.toUpperCase(),
        path,
        deprecated: op.deprecated,
        parameters: op.parameters ?? [],
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
        responses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return ops;
}

/** Strings no identifier pattern of ours accepts: traversal, injection, control and odd unicode, huge. */
export const hostileString = fc.oneof(
  fc.constantFrom(
    '../../etc/passwd',
    '..%2F..%2Fetc%2Fpasswd',
    "' OR '1'='1",
    '"; DROP TABLE users;--',
    '$(reboot)',
    '`id`',
    '<script>alert(1)</script>',
    '{{7*7}}',
    '%00',
    'a\u0000b',
    'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ',
    '🙂'.repeat(40),
    'x y',
    '\r\nSet-Cookie: a=b',
    '__proto__ ',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => `${s} !`),
  fc.integer({ min: 300, max: 5000 }).map((n) => 'A'.repeat(n) + '/'),
);

const nonString = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const nonNumber = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileString,
  fc.constantFrom('12', '', 1.5, -0.5, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 60)),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const nonObject = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  hostileString,
  fc.array(fc.integer(), { maxLength: 3 }),
);
const nonArray = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  hostileString,
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** A value of the wrong type for the property (or outside its enum), so any validator must refuse it. */
export function wrongFor(s: Schema | undefined): fc.Arbitrary<unknown> {
  if (s?.enum) return fc.oneof(hostileString, nonString);
  switch (s?.type) {
    case 'string':
      return nonString;
    case 'integer':
    case 'number':
      return nonNumber;
    case 'boolean':
      return fc.oneof(fc.constant('yes'), fc.integer({ min: 2 }), fc.constant(null), hostileString);
    case 'array':
      return nonArray;
    case 'object':
      return nonObject;
    default:
      return fc.oneof(nonString, hostileString);
  }
}

export interface AbuseCase {
  label: string;
  path: string;
  query?: Record<string, string>;
  contentType?: string;
  payload?: string;
}

/** Invalid requests for one operation: hostile path/query values and malformed, mistyped, huge bodies. */
export function abuseCases(
  op: Operation,
  fill: (name: string) => string,
): fc.Arbitrary<AbuseCase> | undefined {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const validPath = op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(fill(n)));
  const cases: fc.Arbitrary<AbuseCase>[] = [];
  if (pathParams.length) {
    cases.push(
      fc
        .record({ name: fc.constantFrom(...pathParams.map((p) => p.name)), value: hostileString })
        .map(({ name, value }) => ({
          label: `path ${name}=${JSON.stringify(value).slice(0, 60)}`,
          path: op.path.replace(/\{(\w+)\}/g, (_, n: string) =>
            encodeURIComponent(n === name ? value : fill(n)),
          ),
          ...(op.body ? { contentType: 'application/json', payload: '{}' } : {}),
        })),
    );
  }
  for (const q of queryParams) {
    cases.push(
      wrongFor(q.schema).map((v) => ({
        label: `query ${q.name}=${JSON.stringify(v)?.slice(0, 60)}`,
        path: validPath,
        query: { [q.name]: typeof v === 'string' ? v : JSON.stringify(v) },
      })),
    );
  }
  const body = op.body;
  const props = body?.properties ?? {};
  if (body && Object.keys(props).length) {
    const json = (label: string, arb: fc.Arbitrary<unknown>) =>
      arb.map((v) => ({
        label: `${label}: ${JSON.stringify(v)?.slice(0, 80)}`,
        path: validPath,
        contentType: 'application/json',
        payload: JSON.stringify(v),
      }));
    cases.push(json('body not an object', nonObject));
    cases.push(
      fc.constantFrom(...Object.keys(props)).chain((name) =>
        json(
          `body.${name} mistyped`,
          wrongFor(props[name]).map((v) => ({ [name]: v })),
        ),
      ),
    );
    if (body.required?.length) cases.push(json('required fields missing', fc.constant({})));
    cases.push(
      json(
        'unknown field',
        fc.constantFrom(
          { isAdmin: true },
          { constructor: { prototype: { polluted: 1 } } },
          { ['$where']: '1' },
        ),
      ),
    );
  }
  if (body) {
    cases.push(
      fc.constantFrom<AbuseCase>(
        {
          label: 'wrong content type',
          path: validPath,
          contentType: 'text/plain',
          payload: 'hello',
        },
        { label: 'xml', path: validPath, contentType: 'application/xml', payload: '<a/>' },
        { label: 'empty json body', path: validPath, contentType: 'application/json', payload: '' },
        {
          label: 'malformed json',
          path: validPath,
          contentType: 'application/json',
          payload: '{"a":',
        },
        {
          label: 'huge body',
          path: validPath,
          contentType: 'application/json',
          payload: JSON.stringify({ x: 'y'.repeat(1_100_000) }),
        },
      ),
    );
  }
  return cases.length ? fc.oneof(...cases) : undefined; // an operation that takes no input
}
