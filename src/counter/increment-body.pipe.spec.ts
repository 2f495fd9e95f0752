import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import { MAX_BY } from './counter.rules';
import { IncrementBodyPipe } from './increment-body.pipe';

const meta: ArgumentMetadata = { type: 'body', metatype: Object };
const fieldsOf = async (p: Promise<unknown>): Promise<string[]> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BadRequestException);
  const res = (err as BadRequestException).getResponse() as { errors: { field: string }[] };
  return res.errors.map((e) => e.field);
};

describe('IncrementBodyPipe', () => {
  const pipe = new IncrementBodyPipe();

  it.each<[unknown, object]>([
    [undefined, {}],
    [{}, {}],
    [{ by: 5 }, { by: 5 }],
    [{ by: -MAX_BY }, { by: -MAX_BY }],
  ])('accepts %p', async (body, expected) => {
    await expect(pipe.transform(body, meta)).resolves.toEqual(expected);
  });

  it.each<[unknown, string]>([
    [{ by: 1.5 }, 'by'],
    [{ by: '5' }, 'by'],
    [{ by: null }, 'by'],
    [{ by: MAX_BY + 1 }, 'by'],
    [{ by: 1, extra: true }, 'extra'],
    [{ extra: true }, 'extra'],
    [null, 'body'], // JSON `null` is a body, and not an object
    [[1], 'body'],
  ])('rejects %p through the standard pipe, naming %s', async (body, field) => {
    expect(await fieldsOf(pipe.transform(body, meta))).toContain(field);
  });
});
