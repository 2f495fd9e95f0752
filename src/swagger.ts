import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from './common/auth/public.decorator';

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
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as Array<Record<string, unknown>>) {
      if (op && typeof op === 'object' && op[PUBLIC_EXTENSION]) {
        op.security = [];
        delete op[PUBLIC_EXTENSION];
      }
    }
  }
  return doc;
}

export function setupSwagger(app: INestApplication, version: string): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app, version), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
