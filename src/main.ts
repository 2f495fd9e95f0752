// First, before any other module loads: cache V8's compiled code on disk, so later starts skip
// most of the parsing and compiling of the ~2,000 modules Nest, Fastify and the AWS SDK bring.
import { enableCompileCache } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

enableCompileCache(process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'platform-api-compile-cache'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./bootstrap');
