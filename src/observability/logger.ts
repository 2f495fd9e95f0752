import {
  LogController,
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Params } from 'nestjs-pino';
import {
  pino,
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
} from 'pino';
import type { AppConfig } from '../config';

const destinations = new WeakMap<Logger, DestinationStream>();

/**
 * One pino logger for the process, given to Fastify (request-scoped children carry `requestId`)
 * and to Nest through nestjs-pino (`useExisting`). Headers are never serialised, and credentials
 * are redacted wherever else they might appear.
 *
 * Lines go to stdout asynchronously and buffered (pino.destination sync: false, written once 4 KiB
 * have gathered or every 100 ms): a write per line on the event loop cost about a tenth of the
 * counter route's CPU (docs/performance.md). Graceful exits and crashes that reach 'exit' flush
 * (pino registers it); a SIGKILL can lose at most the last 100 ms of lines.
 */
export function createRootLogger(cfg: AppConfig): Logger {
  const destination = pino.destination({
    dest: 1,
    sync: false,
    minLength: 4096,
    periodicFlush: 100,
  });
  const root = pino(
    {
      level: cfg.logLevel,
      base: { pid: process.pid, role: cfg.role },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'headers["x-api-key"]',
          'headers.authorization',
          'headers.cookie',
          '*.apiKey',
          '*.password',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
  destinations.set(root, destination);
  return root;
}

/** Writes one info line of the given fields and message. */
export type LineWriter = (fields: Record<string, unknown>, msg: string) => void;

/**
 * Info lines beside `root` (same stream, same base fields, plus `bindings`), in pino's format
 * (`level`, `time`, the base fields, the line's fields, `msg`), for lines built only of fields we
 * choose (the audit line, one per mutating request): no redaction pass and no per-field
 * serializer, one JSON.stringify per line. A pino logger for it cost ~6 % of the counter route's
 * CPU (docs/performance.md). Written at info whatever LOG_LEVEL says, unless logs are off.
 */
export function infoLines(root: Logger, bindings: Record<string, unknown>): LineWriter {
  const destination = destinations.get(root);
  if (root.level === 'silent') return () => undefined;
  if (!destination) {
    const child = root.child(bindings, { level: 'info' });
    return (fields, msg) => child.info(fields, msg);
  }
  const base = JSON.stringify({ pid: process.pid, ...root.bindings(), ...bindings }).slice(1, -1);
  const head = `{"level":${root.levels.values.info},"time":"`;
  return (fields, msg) => {
    const json = JSON.stringify(fields);
    destination.write(
      `${head}${new Date().toISOString()}",${base}${json.length > 2 ? `,${json.slice(1, -1)}` : ''},"msg":${JSON.stringify(msg)}}\n`,
    );
  };
}

// No per-request middleware: it cost a child logger and a middie pass on every request (≈10% of
// the counter route's CPU); request lines come from AccessLog, with the id, from Fastify's logger.
export const nestLoggerParams = (logger: Logger): Params => ({
  pinoHttp: { logger },
  useExisting: true,
  forRoutes: [],
});

/**
 * One access-log line per request, written when it completes (404s and early errors included):
 * Fastify's default writes two, with every header.
 */
export class AccessLog extends LogController {
  constructor(enabled: boolean) {
    super({ disableRequestLogging: !enabled, requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    req: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(req)) return;
    const line = {
      req: { method: req.method, url: req.url, route: req.routeOptions.url },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    };
    if (error) reply.log.error(line, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

type AnyLogFn = (this: FastifyBaseLogger, ...args: unknown[]) => void;

/**
 * The request logger Fastify makes for each request (`request.log`, bound to its `requestId`),
 * made when the request first writes a line. Fastify makes one per request, and a pino child
 * serializes its bindings through the root's redaction at once: ~2 % of the counter route's CPU
 * (docs/performance.md), for a logger that most requests never use (no access log, no error).
 * Fastify's `childLoggerFactory`.
 */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, opts);
}

class LazyChildLogger implements FastifyBaseLogger {
  private made?: FastifyBaseLogger;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.opts));
  }

  get level(): string {
    return this.made?.level ?? this.opts.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real.level = level;
  }

  // The level methods live on the prototype, not as closures per instance: one object per
  // request, nothing else. Each forwards to the real child, made on first use.
  declare fatal: FastifyBaseLogger['fatal'];
  declare error: FastifyBaseLogger['error'];
  declare warn: FastifyBaseLogger['warn'];
  declare info: FastifyBaseLogger['info'];
  declare debug: FastifyBaseLogger['debug'];
  declare trace: FastifyBaseLogger['trace'];
  declare silent: FastifyBaseLogger['silent'];
  static {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)
      this.prototype[level] = function (this: LazyChildLogger, ...args: unknown[]) {
        const real = this.real;
        (real[level] as AnyLogFn).apply(real, args);
      } as FastifyBaseLogger[typeof level];
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}
