import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type SchemaObject,
} from '@nestjs/swagger';

import { PUBLIC_EXTENSION } from './common/auth/public.decorator';
import { ERROR_CODES } from './common/errors/error-codes';

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
  };
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as OperationObject[]) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const isPublic = Boolean((op as unknown as Record<string, unknown>)[PUBLIC_EXTENSION]);
      if (isPublic) {
        op.security = [];
        delete (op as unknown as Record<string, unknown>)[PUBLIC_EXTENSION];
      }
      addCommonErrors(op, isPublic);
    }
  }
  return doc;
}

const ERROR_BODY: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'code', 'message', 'requestId'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    code: {
      type: 'string',
      enum: Object.keys(ERROR_CODES),
      example: 'VALIDATION_FAILED',
      description:
        'Stable machine-readable code: switch on it, not on the message (docs/errors.md)',
    },
    message: { type: 'string', example: 'Validation failed: by (by must be an integer number)' },
    requestId: { type: 'string', example: '1f0c9f7e-8d3a-4b8e-9d1e-2f5a7c3b9e10' },
    errors: {
      type: 'array',
      description: 'Only on validation failures: each invalid field and what is wrong with it',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string' },
          messages: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

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
