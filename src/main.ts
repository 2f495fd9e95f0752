// First, before any other module loads: cache V8's compiled code on disk, so later starts skip
// most of the parsing and compiling of the ~2,000 modules Nest, Fastify and the AWS SDK bring.
import { enableCompileCache, registerHooks } from 'node:module';
import { closeSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';

enableCompileCache(process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'platform-api-compile-cache'));

/**
 * The bundle's source, read 64 KiB at a time. `require` reads a file into one buffer of its size
 * (10 MB here), and glibc, seeing a buffer that large freed, raises its mmap threshold to that
 * size for the rest of the process, after which everything smaller lands in the main heap and
 * is never given back: ~7 MB more idle RSS (bench/boot.bench.ts). Small reads keep the threshold
 * where it was. The string is the same one `require` would have compiled, cache included.
 */
function readInChunks(file: string): string {
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafeSlow(64 * 1024);
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  try {
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;)
      parts.push(decoder.write(chunk.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  parts.push(decoder.end());
  return parts.join('');
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** `require(file)`, with the file's source read by readInChunks. */
function requireInChunks(file: string): void {
  const url = pathToFileURL(file).href;
  const hooks = registerHooks({
    load: (u, context, next) =>
      u === url
        ? { format: 'commonjs', source: readInChunks(file), shortCircuit: true }
        : next(u, context),
  });
  try {
    require(file);
  } finally {
    hooks.deregister(); // later requires (client-node, pino's transports) load as usual
  }
}

// Tracing (OTEL_EXPORTER_OTLP_ENDPOINT set): the SDK starts first, then tsc's unbundled output
// loads, because the instrumentations hook `require` and cannot see into the esbuild bundle.
// Off (the default), nothing of OpenTelemetry is loaded and the bundle starts as before.
if (require('./observability/tracing/tracing.env').tracingRequested(process.env)) {
  require('./observability/tracing/sdk').startTracing();
  require('./bootstrap.traced');
} else {
  requireInChunks(join(__dirname, 'bootstrap.js'));
}
