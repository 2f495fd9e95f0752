import { BadRequestException, type ValidationError } from '@nestjs/common';
import { IsOptional } from 'class-validator';
import fc from 'fast-check';
import {
  flattenValidationErrors,
  MAX_BODY_DEPTH,
  nestedDeeperThan,
  validationPipe,
} from './validation';

describe('flattenValidationErrors', () => {
  it('names nested fields by path', () => {
    const errors = [
      { property: 'by', constraints: { isInt: 'by must be an integer' }, children: [] },
      {
        property: 'messages',
        children: [
          {
            property: '0',
            children: [{ property: 'id', constraints: { matches: 'id must match' }, children: [] }],
          },
        ],
      },
    ] as unknown as ValidationError[];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'by', messages: ['by must be an integer'] },
      { field: 'messages.0.id', messages: ['id must match'] },
    ]);
  });
});

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { d: v };
  return v;
};

describe('nestedDeeperThan', () => {
  it('counts objects and arrays as levels, a scalar as none', () => {
    expect(nestedDeeperThan(1, 0)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan(nest(3), 3)).toBe(false);
    expect(nestedDeeperThan(nest(4), 3)).toBe(true);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: nest(2) }] }, 5)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: [1, 2, { c: nest(2) }] }, 4)).toBe(true);
  });

  it('agrees with a plain recursive depth on any JSON value', () => {
    // Levels of objects and arrays: a scalar 0, an empty object or array 1.
    const depth = (v: unknown): number =>
      typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (v, max) => {
        expect(nestedDeeperThan(v, max)).toBe(depth(v) > max);
      }),
    );
  });

  it('walks a body nested far deeper than the stack allows without overflowing', () => {
    expect(nestedDeeperThan(nest(1_000_000), MAX_BODY_DEPTH)).toBe(true);
  });
});

class AnyDto {
  @IsOptional()
  x?: unknown;
}

describe('validationPipe', () => {
  const pipe = validationPipe();
  const meta = { type: 'body' as const, metatype: AnyDto };

  it('answers 400 naming the body for one nested deeper than MAX_BODY_DEPTH (was a 500)', async () => {
    const err = await pipe.transform({ x: nest(100_000) }, meta).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect((err as BadRequestException).getResponse()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'body' }],
    });
  });

  it('validates a body up to MAX_BODY_DEPTH levels as before', async () => {
    const body = { x: nest(MAX_BODY_DEPTH - 1) };
    await expect(pipe.transform(body, meta)).resolves.toBeInstanceOf(AnyDto);
  });
});
