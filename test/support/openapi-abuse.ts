import Ajv from 'ajv';
import addFormats from 'ajv-formats';
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

// ---------------------------------------------------------------------------------------------
// Contract: valid requests generated from the document, and every answer checked against it.
// ---------------------------------------------------------------------------------------------

/** The document as the contract suite reads it. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema>; headers?: Record<string, unknown> };
}

/** The JSON Schema keywords the generator reads (OpenAPI 3.0 flavour). */
interface GenSchema extends Schema {
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  example?: unknown;
  default?: unknown;
}

const deref = (doc: OpenApiDoc, s: GenSchema | undefined, depth = 0): GenSchema | undefined => {
  if (!s || depth > 10) return s;
  if (s.$ref) return deref(doc, doc.components?.schemas?.[s.$ref.split('/').pop()!], depth + 1);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => deref(doc, x, depth + 1)));
  return s;
};

/**
 * A string the pattern accepts. fast-check builds it from the regular expression; lookaheads
 * (which it cannot build from) are dropped for generation and the full pattern filters instead.
 */
function matching(s: GenSchema): fc.Arbitrary<string> {
  const full = new RegExp(s.pattern!, 'u');
  const buildable = new RegExp(s.pattern!.replace(/\(\?[!=][^)]*\)/g, ''));
  const lengthOk = (v: string) =>
    v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity);
  return fc
    .stringMatching(buildable)
    .map((v) => v.slice(0, Math.min(s.maxLength ?? 40, 40)))
    .filter((v) => full.test(v) && lengthOk(v));
}

/**
 * Values the schema accepts. Where the schema states a machine-checkable rule (enum, pattern,
 * format, bounds) the value is drawn from the rule; where validity is semantic and only the
 * description says it (a registered task type, a container image, a handler's payload), the
 * documented example is used: the example is part of the contract and must be accepted too.
 */
export function validFor(doc: OpenApiDoc, raw: GenSchema | undefined): fc.Arbitrary<unknown> {
  const s = deref(doc, raw);
  if (!s) return fc.constant(undefined);
  if (s.enum) return fc.constantFrom(...s.enum);
  const ex = s.example !== undefined ? fc.constant(s.example) : undefined;
  switch (s.type) {
    case 'string':
      if (s.pattern) return matching(s);
      if (s.format === 'date-time')
        return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return (
        ex ??
        fc
          .stringMatching(/^[a-z0-9]+$/)
          .filter((v) => v.length >= (s.minLength ?? 1) && v.length <= (s.maxLength ?? 20))
      );
    case 'integer':
    case 'number': {
      if (s.minimum === undefined && s.maximum === undefined && ex) return ex;
      const min = s.minimum ?? 0;
      return fc.integer({ min, max: s.maximum ?? min + 10 });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      // An example of a list whose items are valid only by configuration (external task types)
      // or meaning: the example is part of the contract and must be accepted.
      if (ex) return ex;
      const min = s.minItems ?? 0;
      return fc.array(validFor(doc, s.items as GenSchema), {
        minLength: min,
        maxLength: Math.max(min, Math.min(s.maxItems ?? 3, 3)),
      });
    }
    case 'object':
    default: {
      const props = s.properties ?? {};
      // Rules across fields (described, not in the schema): valid bodies come from the example.
      if (ex && (s as Record<string, unknown>)['x-cross-field-rules']) return ex;
      if (Object.keys(props).length === 0)
        return ex ?? fc.constant(s.type === 'object' ? {} : null);
      const required = s.required ?? [];
      return fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validFor(doc, v)])),
        { requiredKeys: required as never[] },
      );
    }
  }
}

export interface ValidCase {
  label: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  payload?: string;
}

/** Requests the document says are valid for one operation: every parameter and body from its schema. */
export function validCases(doc: OpenApiDoc, op: Operation): fc.Arbitrary<ValidCase> {
  const raw = doc.paths[op.path][op.method.toLowerCase()] as {
    requestBody?: { required?: boolean; content?: Record<string, { schema?: GenSchema }> };
  };
  // An opaque value (a page cursor) is valid only as the server returned it: never invented.
  const params = op.parameters.filter(
    (p) => p.required || !(p as { 'x-opaque'?: boolean })['x-opaque'],
  );
  const paramArb = (p: (typeof params)[number]) => {
    const v = validFor(doc, p.schema as GenSchema).map((x) =>
      typeof x === 'string' ? x : JSON.stringify(x),
    );
    return p.required || p.in === 'path' ? v : fc.option(v, { nil: undefined });
  };
  const bodySchema = raw.requestBody?.content?.['application/json']?.schema;
  const body: fc.Arbitrary<unknown> = bodySchema
    ? raw.requestBody?.required
      ? validFor(doc, bodySchema)
      : fc.option(validFor(doc, bodySchema), { nil: undefined })
    : fc.constant(undefined);
  return fc
    .record({
      values: fc.tuple(...params.map(paramArb)) as fc.Arbitrary<Array<string | undefined>>,
      body,
    })
    .map(({ values, body }) => {
      const query: Record<string, string> = {};
      const headers: Record<string, string> = {};
      let path = op.path;
      params.forEach((p, i) => {
        const v = values[i];
        if (v === undefined) return;
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(v));
        else if (p.in === 'query') query[p.name] = v;
        else if (p.in === 'header') headers[p.name.toLowerCase()] = v;
      });
      if (body !== undefined) headers['content-type'] = 'application/json';
      return {
        label: `${path} ${JSON.stringify(query)} ${JSON.stringify(body)?.slice(0, 120)}`,
        path,
        query,
        headers,
        payload: body === undefined ? undefined : JSON.stringify(body),
      };
    });
}

/** Checks an answer against what the document says the operation answers: status, body, headers. */
export function responseChecker(
  doc: OpenApiDoc,
): (
  op: Pick<Operation, 'method' | 'path'>,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
) => string[] {
  // OpenAPI 3.0 schemas: `nullable` is an Ajv keyword; `example` and `x-*` are annotations.
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  const validator = (pointer: string) => {
    let v = compiled.get(pointer);
    if (!v) compiled.set(pointer, (v = ajv.compile({ $ref: `openapi.json#${pointer}` })));
    return v;
  };
  const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return (op, res) => {
    const method = op.method.toLowerCase();
    const responses = (doc.paths[op.path][method].responses ?? {}) as Record<
      string,
      { content?: Record<string, unknown>; headers?: Record<string, { $ref?: string }> }
    >;
    const code = String(res.statusCode);
    const documented = responses[code];
    if (!documented) return [`status ${code} is not documented`];
    const problems: string[] = [];
    const base = `/paths/${esc(op.path)}/${method}/responses/${code}`;
    if (documented.content?.['application/json'] && res.statusCode !== 204) {
      const type = String(res.headers['content-type'] ?? '');
      if (!type.startsWith('application/json')) problems.push(`content-type ${type}, not JSON`);
      else {
        const v = validator(`${base}/content/application~1json/schema`);
        if (!v(JSON.parse(res.body)))
          problems.push(`body: ${ajv.errorsText(v.errors, { dataVar: 'body' })}`);
      }
    }
    for (const [name, h] of Object.entries(documented.headers ?? {})) {
      const header = (h.$ref ? doc.components?.headers?.[h.$ref.split('/').pop()!] : h) as {
        required?: boolean;
        schema?: unknown;
      };
      const value = res.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header?.required) problems.push(`header ${name} missing`);
        continue;
      }
      if (header?.schema) {
        const v = validator(
          h.$ref
            ? `/components/headers/${esc(h.$ref.split('/').pop()!)}/schema`
            : `${base}/headers/${esc(name)}/schema`,
        );
        if (!v(String(value))) problems.push(`header ${name}: ${ajv.errorsText(v.errors)}`);
      }
    }
    return problems;
  };
}
