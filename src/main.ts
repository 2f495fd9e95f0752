// First, before any other module loads: cache V8's compiled code on disk, so later starts skip
// most of the parsing and compiling of the ~2,000 modules Nest, Fastify and the AWS SDK bring.
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

enableCompileCache(process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'platform-api-compile-cache'));

/* eslint-disable @typescript-eslint/no-require-imports */
// Tracing (OTEL_EXPORTER_OTLP_ENDPOINT set): the SDK starts first, then tsc's unbundled output
// loads, because the instrumentations hook `require` and cannot see into the esbuild bundle.
// Off (the default), nothing of OpenTelemetry is loaded and the bundle starts as before.
if (require('./observability/tracing/tracing.env').tracingRequested(process.env)) {
  require('./observability/tracing/sdk').startTracing();
  require('./bootstrap.traced');
} else {
  require('./bootstrap');
}
