import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type SchemaObject,
} from '@nestjs/swagger';

import { PUBLIC_EXTENSION } from './common/auth/public.decorator';
import { SCOPES_EXTENSION } from './common/auth/scope.decorator';
import { ANY_JSON_MARKER } from './common/openapi/any-json';
import { markCrossFieldSchemas } from './common/openapi/cross-field';
import { ERROR_CODES, type ErrorCode } from './common/errors/error-codes';

export const API_KEY_SCHEME = 'apiKey';

/** Every operation requires the key except those marked @Public(), which get `security: []`. */
export function buildOpenApi(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('platform-api')
    .setDescription(
      'Counters, asynchronous tasks, SQS→DynamoDB ingest and EKS jobs/namespaces behind one API. ' +
        'Send your key in the `X-API-Key` header. Compat routes of the replaced services are marked deprecated.',
    )
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SCHEME)
    .addSecurityRequirements(API_KEY_SCHEME)
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, ErrorBody: ERROR_BODY },
    headers: { ...doc.components?.headers, ...COMMON_HEADERS },
  };
  for (const schema of Object.values(doc.components.schemas ?? {})) anyJson(schema as SchemaObject);
  markCrossFieldSchemas(doc.components.schemas ?? {});
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as OperationObject[]) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const isPublic = Boolean((op as unknown as Record<string, unknown>)[PUBLIC_EXTENSION]);
      if (isPublic) {
        op.security = [];
        delete (op as unknown as Record<string, unknown>)[PUBLIC_EXTENSION];
      }
      if (!isPublic) describeScope(op);
      addCommonErrors(op, isPublic);
      describeErrors(op);
      addResponseHeaders(op);
      closeRequestBody(doc, op);
    }
  }
  return doc;
}

/** `ANY_JSON` properties: drop the `type` Nest reflected from `unknown`, keep an open schema. */
function anyJson(schema: SchemaObject): void {
  for (const prop of Object.values(schema.properties ?? {}) as Array<Record<string, unknown>>) {
    if (!prop[ANY_JSON_MARKER]) continue;
    delete prop[ANY_JSON_MARKER];
    delete prop.type;
    delete prop.nullable;
  }
}

/**
 * The global ValidationPipe runs with `forbidNonWhitelisted`: a body DTO refuses properties it
 * does not declare (400). Say so in the document, for every DTO a body reaches (nested ones
 * too), unless the DTO declares `additionalProperties` itself (a free-form map).
 */
function closeRequestBody(doc: OpenAPIObject, op: OperationObject): void {
  const body = op.requestBody && 'content' in op.requestBody ? op.requestBody : undefined;
  const seen = new Set<string>();
  const close = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const schema = s as SchemaObject & { $ref?: string };
    if (schema.$ref) {
      const name = schema.$ref.split('/').pop()!;
      if (seen.has(name)) return;
      seen.add(name);
      return close(doc.components?.schemas?.[name]);
    }
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined)
      schema.additionalProperties = false;
    for (const p of Object.values(schema.properties ?? {})) close(p);
    if (schema.items) close(schema.items);
    for (const x of schema.allOf ?? []) close(x);
  };
  close(body?.content?.['application/json']?.schema);
}

const ERROR_BODY: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'code', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer', minimum: 400, maximum: 599 },
    error: { type: 'string' },
    code: {
      type: 'string',
      enum: Object.keys(ERROR_CODES),
      description:
        'Stable machine-readable code: switch on it, not on the message (docs/errors.md)',
    },
    message: { type: 'string' },
    requestId: { type: 'string' },
    requiredScope: { type: 'string', description: 'On AUTH_SCOPE_MISSING: the scope needed' },
    errors: {
      type: 'array',
      description: 'Only on validation failures: each invalid field and what is wrong with it',
      items: {
        type: 'object',
        required: ['field', 'messages'],
        properties: {
          field: { type: 'string' },
          messages: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/**
 * The scope in the operation's description and a 403 naming it. An operation that declared none
 * gets `x-required-scopes: [admin]`, which is what the guard enforces for it (the scope test
 * fails on it, so this only shows up in a broken build).
 */
function describeScope(op: OperationObject): void {
  const ext = op as unknown as Record<string, unknown>;
  const scopes = (ext[SCOPES_EXTENSION] as string[] | undefined) ?? [];
  const shown = scopes.length ? scopes : ['admin'];
  const line = `**Required scope:** ${shown.map((s) => `\`${s}\``).join(' or ')} (or \`admin\`).`;
  op.description = op.description ? `${op.description}\n\n${line}` : line;
  const forbidden = `The key lacks the scope ${shown.join(' or ')} (\`code\`: AUTH_SCOPE_MISSING); nothing was applied`;
  const existing = op.responses['403'] as { description?: string } | undefined;
  if (existing) existing.description = `${existing.description ?? ''}; or: ${forbidden}`;
  else
    op.responses['403'] = {
      description: forbidden,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
    };
}

const REQUEST_ID_HEADER = { $ref: '#/components/headers/X-Request-Id' };
const COMMON_HEADERS = {
  'X-Request-Id': {
    description: 'The request id (also `requestId` in error bodies and in the logs)',
    required: true,
    schema: { type: 'string', minLength: 1 },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
};

/** One example per status, so a reader sees what each error really looks like. */
const ERROR_EXAMPLES: Record<string, { error: string; code: ErrorCode; message: string }> = {
  '400': {
    error: 'Bad Request',
    code: 'VALIDATION_FAILED',
    message: 'Validation failed: by (by must be an integer number)',
  },
  '401': {
    error: 'Unauthorized',
    code: 'AUTH_KEY_MISSING',
    message: 'Missing API key: send it in the X-API-Key header',
  },
  '403': {
    error: 'Forbidden',
    code: 'EKS_NOT_MANAGED',
    message: 'Namespace kube-system is protected',
  },
  '404': { error: 'Not Found', code: 'NOT_FOUND', message: 'Task 3f1c9a4e not found' },
  '409': {
    error: 'Conflict',
    code: 'TASK_CONFLICT',
    message: 'A task with this id exists with a different body',
  },
  '413': {
    error: 'Payload Too Large',
    code: 'PAYLOAD_TOO_LARGE',
    message: 'Request body is too large',
  },
  '414': { error: 'URI Too Long', code: 'URI_TOO_LONG', message: 'A path parameter is too long' },
  '415': {
    error: 'Unsupported Media Type',
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Unsupported Content-Type: send application/json',
  },
  '422': {
    error: 'Unprocessable Entity',
    code: 'COUNTER_IDEMPOTENCY_CONFLICT',
    message: 'Idempotency-Key reused with another request',
  },
  '429': {
    error: 'Too Many Requests',
    code: 'RATE_LIMITED',
    message: 'Rate limit exceeded: retry after the number of seconds in Retry-After',
  },
  '502': {
    error: 'Bad Gateway',
    code: 'BAD_GATEWAY',
    message: 'Kubernetes API refused platform-api (its RBAC lacks a permission, see docs/eks.md)',
  },
  '503': {
    error: 'Service Unavailable',
    code: 'DEPENDENCY_UNAVAILABLE',
    message: 'Redis is unavailable, retry later',
  },
};

function errorExample(code: string): Record<string, unknown> | undefined {
  const e = ERROR_EXAMPLES[code];
  if (!e) return undefined;
  return {
    statusCode: Number(code),
    ...e,
    requestId: '1f0c9f7e-8d3a-4b8e-9d1e-2f5a7c3b9e10',
    ...(code === '400'
      ? { errors: [{ field: 'by', messages: ['by must be an integer number'] }] }
      : {}),
  };
}

/**
 * A 4xx/5xx a decorator declared with only a description answers in the common shape: say so,
 * with that status's example (a compat route that keeps its seed's shape declares its own type).
 */
function describeErrors(op: OperationObject): void {
  for (const [code, res] of Object.entries(op.responses)) {
    if (Number(code) < 400 || !res || '$ref' in res) continue;
    res.content ??= {
      'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } },
    };
    const json = res.content['application/json'];
    const isErrorBody =
      json?.schema &&
      '$ref' in json.schema &&
      json.schema.$ref === '#/components/schemas/ErrorBody';
    const example = errorExample(code);
    if (isErrorBody && example && !json.example && !json.examples) json.example = example;
  }
}

/** Every answer carries X-Request-Id; a 429 also Retry-After. */
function addResponseHeaders(op: OperationObject): void {
  for (const [code, res] of Object.entries(op.responses)) {
    if (!res || '$ref' in res) continue;
    res.headers = { 'X-Request-Id': REQUEST_ID_HEADER, ...res.headers };
    if (code === '429') res.headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  }
}

/** The errors any route can answer, in the common shape, unless the route documents its own. */
function addCommonErrors(op: OperationObject, isPublic: boolean): void {
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
  });
  const add = (code: string, description: string) => (op.responses[code] ??= error(description));
  add('400', 'Invalid input: the message and `errors` name each field');
  if (!isPublic) add('401', 'Missing or invalid X-API-Key');
  if (op.parameters?.some((p) => 'in' in p && p.in === 'path'))
    add('414', 'A path parameter is longer than 500 characters');
  if (op.requestBody) {
    add('413', 'Body larger than BODY_LIMIT_BYTES');
    add('415', 'Unsupported Content-Type');
  }
  add('429', 'Rate limit exceeded: see Retry-After and RateLimit-* headers');
  if (!isPublic) add('503', 'A dependency is unavailable: retry later');
}

export function setupSwagger(app: INestApplication, version: string): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app, version), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
