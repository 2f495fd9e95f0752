import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateTaskDto } from './dto/create-task.dto';
import { TaskBatchPipe } from './task-batch.pipe';
import { MAX_BATCH, MAX_DELAY_MS } from './task.types';

const pipe = new TaskBatchPipe();
const many = (n: number) => Array.from({ length: n }, () => ({ type: 'echo' }));

const fieldsOf = (body: unknown): string[] => {
  let err: unknown;
  try {
    pipe.transform(body);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BadRequestException);
  return ((err as BadRequestException).getResponse() as { errors: { field: string }[] }).errors.map(
    (e) => e.field,
  );
};

const dtoAccepts = (item: object) =>
  validateSync(plainToInstance(CreateTaskDto, item), {
    whitelist: true,
    forbidNonWhitelisted: true,
  }).length === 0;

describe('TaskBatchPipe', () => {
  it('passes items in the common shape through as they are (the hand-checked path)', () => {
    const item = {
      type: 'echo',
      payload: { a: 1 },
      id: 'job-1',
      priority: 1,
      delayMs: 0,
      maxAttempts: 3,
    };
    const out = pipe.transform({ tasks: [item, { type: 'sleep' }] });
    expect(out.tasks[0]).toBe(item);
    expect(out.tasks[1]).toEqual({ type: 'sleep' });
  });

  // The hand check must never accept what CreateTaskDto refuses: the pipe agrees with it on every item.
  it.each<[object]>([
    [{ type: 'echo' }],
    [{ type: '' }],
    [{ type: 'x'.repeat(64) }],
    [{ type: 'x'.repeat(65) }],
    [{ type: '🙂'.repeat(40) }],
    [{ type: 7 }],
    [{ payload: 1 }],
    [{ type: 'echo', id: null }],
    [{ type: 'echo', id: '123' }],
    [{ type: 'echo', id: 'a:b' }],
    [{ type: 'echo', id: 'x'.repeat(129) }],
    [{ type: 'echo', priority: 0 }],
    [{ type: 'echo', priority: 10 }],
    [{ type: 'echo', priority: 11 }],
    [{ type: 'echo', priority: 2.5 }],
    [{ type: 'echo', priority: '2' }],
    [{ type: 'echo', priority: null }],
    [{ type: 'echo', delayMs: -1 }],
    [{ type: 'echo', delayMs: MAX_DELAY_MS }],
    [{ type: 'echo', delayMs: MAX_DELAY_MS + 1 }],
    [{ type: 'echo', maxAttempts: 0 }],
    [{ type: 'echo', maxAttempts: 100 }],
    [{ type: 'echo', maxAttempts: 101 }],
    [{ type: 'echo', extra: 1 }],
  ])('agrees with CreateTaskDto on %j', (item) => {
    let accepted = true;
    try {
      pipe.transform({ tasks: [item] });
    } catch {
      accepted = false;
    }
    expect(accepted).toBe(dtoAccepts(item));
  });

  it.each<[string, unknown, string[]]>([
    ['null', null, ['body']],
    ['a bare array', [{ type: 'echo' }], ['body']],
    ['no body', undefined, ['tasks']],
    ['{}', {}, ['tasks']],
    ['tasks not an array', { tasks: {} }, ['tasks']],
    ['an empty list', { tasks: [] }, ['tasks']],
    [`${MAX_BATCH + 1} items`, { tasks: many(MAX_BATCH + 1) }, ['tasks']],
    ['an unknown top-level field', { tasks: many(1), extra: 1 }, ['extra']],
    [
      'items that are not objects',
      { tasks: [{ type: 'echo' }, 5, null, [{ type: 'echo' }]] },
      ['tasks.1', 'tasks.2', 'tasks.3'],
    ],
    [
      'bad fields of one item',
      { tasks: [{ type: 'echo' }, { type: 'echo', priority: 0, bogus: 1 }] },
      ['tasks.1.priority', 'tasks.1.bogus'],
    ],
    ['an item without type', { tasks: [{ payload: {} }] }, ['tasks.0.type']],
  ])('refuses %s, naming %j', (_, body, fields) => {
    expect(fieldsOf(body).sort()).toEqual([...fields].sort());
  });

  it('refuses a batch nested deeper than MAX_BODY_DEPTH anywhere, payload or field (was a 500)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    expect(fieldsOf({ tasks: [{ type: 'echo', payload: deep }] })).toEqual(['body']);
    expect(fieldsOf({ tasks: [{ type: 'echo' }, { type: deep }] })).toEqual(['body']);
  });

  it('accepts exactly MAX_BATCH items', () => {
    expect(pipe.transform({ tasks: many(MAX_BATCH) }).tasks).toHaveLength(MAX_BATCH);
  });
});
