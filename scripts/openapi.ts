/**
 * `npm run openapi`: writes the OpenAPI document to `openapi.json` (or the path given) without
 * starting anything: no Redis, AWS or Kubernetes. Nest's preview mode scans the modules and their
 * decorators but builds no provider, which is all the document needs. The file is committed so
 * client generators and reviewers can diff it; the contract test fails when it differs from
 * what the server serves at /docs-json, and `npm run lint` lints it (redocly.yaml).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

// npm runs scripts from the project root.
const root = process.cwd();
const require = createRequire(resolve(root, 'package.json'));

async function openApiDocument(): Promise<unknown> {
  // A placeholder key: configuration is validated at module scan, and no key is ever used here.
  process.env.API_KEYS ??= 'openapi-document-only-0123456789';
  process.env.LOG_LEVEL ??= 'silent';
  const { NestFactory } = require('@nestjs/core');
  const { FastifyAdapter } = require('@nestjs/platform-fastify');
  const { AppModule } = require(resolve(root, 'dist/app.module.js'));
  const { buildOpenApi } = require(resolve(root, 'dist/swagger.js'));
  const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  const app = await NestFactory.create(
    AppModule.register({ pinoHttp: { level: 'silent' } }),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  return buildOpenApi(app, version);
}

const out = resolve(process.argv[2] ?? resolve(root, 'openapi.json'));
openApiDocument()
  .then((doc) => {
    writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`openapi: wrote ${out}`);
    process.exit(0); // nothing was started, but Nest's modules may hold timers
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
