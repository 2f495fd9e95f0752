import { Writable } from 'node:stream';
import { pino } from 'pino';
import { lazyRequestLogger } from './logger';

/** A pino root writing JSON lines into `lines`, and how many children it made. */
function root(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level }, stream);
  let children = 0;
  const child = logger.child; // children inherit it from the root: `this` is whoever calls
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    children++;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, made: () => children };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('lazyRequestLogger', () => {
  it('makes no child until a line is written, then one, bound to the request', async () => {
    const { logger, lines, made } = root();
    const log = lazyRequestLogger(logger, { requestId: 'r-1' }, {});
    expect(made()).toBe(0);
    expect(log.level).toBe('info');
    log.info({ a: 1 }, 'first');
    log.warn('second');
    log.debug('below the level');
    await flush();
    expect(made()).toBe(1);
    expect(lines.map((l) => [l.level, l.msg, l.requestId, l.a])).toEqual([
      [30, 'first', 'r-1', 1],
      [40, 'second', 'r-1', undefined],
    ]);
  });

  it('forwards every level method with the arguments pino takes (format strings too)', async () => {
    const { logger, lines } = root('trace');
    const log = lazyRequestLogger(logger, { requestId: 'r-2' }, {});
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const)
      log[level]('%s at %d', level, 7);
    log.silent('never written');
    await flush();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [60, 'fatal at 7'],
      [50, 'error at 7'],
      [40, 'warn at 7'],
      [30, 'info at 7'],
      [20, 'debug at 7'],
      [10, 'trace at 7'],
    ]);
  });

  it('takes its level from the options, and a set level applies to the real child', async () => {
    const { logger, lines } = root();
    const log = lazyRequestLogger(logger, { requestId: 'r-3' }, { level: 'warn' });
    expect(log.level).toBe('warn');
    log.info('dropped');
    log.level = 'debug';
    expect(log.level).toBe('debug');
    log.debug('kept');
    log.child({ step: 'inner' }).debug('inner line');
    await flush();
    expect(lines.map((l) => [l.msg, l.requestId, l.step])).toEqual([
      ['kept', 'r-3', undefined],
      ['inner line', 'r-3', 'inner'],
    ]);
  });
});
