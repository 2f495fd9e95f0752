/**
 * Second half of `npm run build` (after `nest build`): bundles tsc's output from dist/bootstrap.js
 * into that same file with esbuild, so a start reads one file instead of ~2,000 modules (boot
 * ~0.95 s → ~0.7 s, measured by bench/boot.bench.ts). dist/main.js stays tsc's tiny entry: it
 * turns V8's compile cache on first, then requires the bundle, so the bundle is cached too.
 * tsc has already emitted the decorator metadata Nest needs; esbuild only joins JavaScript.
 * External: packages that find their own files on disk at run time (UI assets, native addons,
 * worker-thread transports), client-node (loaded on demand), optional packages Nest probes for,
 * and bullmq-otel (only ever loaded with tracing on, which runs the unbundled files anyway).
 *
 * Tracing on: main.js loads dist/bootstrap.traced.js, tsc's own entry kept here before the bundle
 * replaces it, so the app comes from the unbundled files (still in dist/) that the
 * OpenTelemetry instrumentations can hook as they are required.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const external = [
  'swagger-ui-dist',
  '@bull-board/ui',
  '@kubernetes/client-node',
  'pino',
  'thread-stream',
  'pino-pretty',
  'msgpackr-extract',
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'class-transformer/storage',
  'bullmq-otel',
];

/**
 * Modules that a dependency requires at its top level but only uses inside a function the app
 * never or rarely calls. Each is replaced in the bundle by a stub with the same export names
 * whose getters require the real module (from node_modules, unbundled) on first use, so its
 * source and its evaluation stay out of an idle process. `from`: only when imported by a file
 * matching it; `target`: what the stub requires (default: the specifier).
 */
const lazy: Array<{ spec: string; from?: RegExp; target?: string; why: string }> = [
  {
    spec: 'libphonenumber-js/max',
    why: "class-validator's IsPhoneNumber, which the app never uses",
  },
  { spec: 'luxon', why: "cron-parser's dates: built when a cron schedule is parsed" },
  { spec: 'yaml', why: 'API_KEYS_FILE and TASK_SCHEMAS_FILE documents, read at start if set' },
  {
    spec: './postgres',
    from: /node_modules\/bullmq\/dist\/cjs\/index\.js$/,
    target: 'bullmq/dist/cjs/postgres',
    why: "BullMQ's PostgreSQL backend (needs `pg`, not installed): 320 KB of code and SQL",
  },
];

function lazyModules(): Plugin {
  const req = createRequire(join(process.cwd(), 'package.json'));
  return {
    name: 'lazy-modules',
    setup(b) {
      // The stub's own require: left to Node at run time.
      b.onResolve({ filter: /.*/, namespace: 'lazy' }, (args) => ({
        path: args.path,
        external: true,
      }));
      for (const [i, l] of lazy.entries()) {
        const filter = new RegExp(`^${l.spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        b.onResolve({ filter }, (args) => {
          if (l.from && !l.from.test(args.importer)) return undefined;
          return { path: String(i), namespace: 'lazy' };
        });
      }
      b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
        const l = lazy[Number(args.path)];
        const target = l.target ?? l.spec;
        const real = req(target) as Record<string, unknown>;
        const esModule = Object.getOwnPropertyDescriptor(real, '__esModule')?.value === true;
        const contents = [
          `// ${target}, loaded on first use: ${l.why}`,
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(target)}));`,
          esModule ? "Object.defineProperty(exports, '__esModule', { value: true });" : '',
          `for (const name of ${JSON.stringify(Object.keys(real))})`,
          '  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });',
        ].join('\n');
        return { contents, loader: 'js' };
      });
    },
  };
}

// ESM packages bundled into CommonJS: `import.meta` becomes this file's equivalent.
const banner = [
  'const __importMeta = {',
  "  url: require('node:url').pathToFileURL(__filename).href,",
  '  dirname: __dirname,',
  '  filename: __filename,',
  "  resolve: (s) => require('node:url').pathToFileURL(require.resolve(s)).href,",
  '};',
].join('\n');

/** tsc's dist/bootstrap.js (and its map) as dist/bootstrap.traced.js, before esbuild replaces it. */
function keepUnbundledEntry(): void {
  const js = readFileSync('dist/bootstrap.js', 'utf8').replace(
    /sourceMappingURL=bootstrap\.js\.map/,
    'sourceMappingURL=bootstrap.traced.js.map',
  );
  writeFileSync('dist/bootstrap.traced.js', js);
  if (existsSync('dist/bootstrap.js.map'))
    copyFileSync('dist/bootstrap.js.map', 'dist/bootstrap.traced.js.map');
}

/**
 * V8 keeps a script's source on the heap for as long as the script lives (lazy compilation,
 * `Function.prototype.toString`), as a one-byte string if every character is Latin-1 and as a
 * two-byte string otherwise. esbuild's `charset: 'ascii'` escapes strings and identifiers but
 * leaves comments and regular-expression literals alone, and a few (validator's locale tables,
 * `≥` in a doc comment) made the whole 10 MB bundle two-byte: 20 MB of idle heap. Every non-ASCII
 * UTF-16 unit becomes `\uXXXX`, which means the same character in a string, a template, a
 * regular expression (surrogate pairs included, with or without the `u` flag) and an identifier,
 * and is plain text in a comment. The build fails if one follows a backslash (`\é` would turn
 * into `\\u00e9`). Columns after such a character on its line shift in the source map; those
 * lines are locale tables and comments.
 */
function asciiOnly(file: string): void {
  const js = readFileSync(file, 'utf8');
  if (/\\[\u0080-\uffff]/.test(js))
    throw new Error(`${file}: a non-ASCII character after a backslash; escape it by hand`);
  const ascii = js.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  writeFileSync(file, ascii);
}

async function main(): Promise<void> {
  const started = performance.now();
  keepUnbundledEntry();
  await build({
    entryPoints: ['dist/bootstrap.js'],
    outfile: 'dist/bootstrap.js',
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: 'linked',
    external,
    banner: { js: banner },
    define: { 'import.meta': '__importMeta' },
    logLevel: 'error',
    plugins: [lazyModules()],
    // Whitespace and comments out, names kept: the source stays on the heap for the process's
    // life, and V8 keeps an array of its line ends too (10.3 MB + 2 MB at 264,000 lines, 7.4 MB +
    // 0.1 MB at 13,000). Stack traces keep their function names; `node --enable-source-maps`
    // maps their columns back through the linked map.
    minifyWhitespace: true,
  });
  asciiOnly('dist/bootstrap.js');
  console.log(`bundle: dist/bootstrap.js in ${Math.round(performance.now() - started)} ms`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
