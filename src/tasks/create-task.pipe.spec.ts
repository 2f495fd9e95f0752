import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { MAX_BODY_DEPTH, validationPipe } from '../common/errors/validation';
import { CreateTaskDto } from './dto/create-task.dto';
import { CreateTaskPipe } from './create-task.pipe';
import { MAX_PRIORITY } from './task.types';

const meta: ArgumentMetadata = { type: 'body', metatype: Object };
const errorOf = async (p: Promise<unknown>): Promise<unknown> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadRequestException);
  return (err as BadRequestException).getResponse();
};

describe('CreateTaskPipe', () => {
  const pipe = new CreateTaskPipe();
  const standard = validationPipe();

  it('passes a body in the common shape through as it is (the hand-checked path)', async () => {
    const body = { type: 'echo', payload: { a: [1] }, id: 'job-1', priority: 1, maxAttempts: 3 };
    await expect(pipe.transform(body, meta)).resolves.toBe(body);
  });

  it('refuses a common-shape body whose payload nests deeper than MAX_BODY_DEPTH (was a 500)', async () => {
    let payload: unknown = 1;
    for (let i = 0; i < 20_000; i++) payload = { d: payload };
    expect(await errorOf(pipe.transform({ type: 'echo', payload }, meta))).toMatchObject({
      errors: [{ field: 'body', messages: [expect.stringMatching(/deeper than/)] }],
    });
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH - 1; i++) ok = { d: ok };
    const body = { type: 'echo', payload: ok };
    await expect(pipe.transform(body, meta)).resolves.toBe(body);
  });

  it.each<[unknown]>([
    [{ type: 'echo', extra: true }],
    [{ type: 5 }],
    [{ type: 'x'.repeat(65) }],
    [{ type: 'echo', id: '123' }],
    [{ type: 'echo', priority: MAX_PRIORITY + 1 }],
    [{ type: 'echo', priority: 1.5 }],
    [{ type: 'echo', delayMs: -1 }],
    [{}],
    [undefined],
    [null],
    [[{ type: 'echo' }]],
  ])('answers %j with the standard pipe’s error, unchanged', async (body) => {
    const ours = await errorOf(pipe.transform(body, meta));
    const theirs = await errorOf(
      standard.transform(body, { type: 'body', metatype: CreateTaskDto }),
    );
    expect(ours).toEqual(theirs);
  });
});
