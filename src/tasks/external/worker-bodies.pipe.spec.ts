import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CompleteBatchDto, LeaseTasksDto } from '../dto/lease.dto';
import { CompleteBatchPipe, LeaseBodyPipe } from './worker-bodies.pipe';

const TOKEN = '0b6b1c1e-8a43-4d59-9a53-6f0e2d1c3b4a.60';

const fieldsOf = async (transform: () => Promise<unknown>): Promise<string[] | 'ok'> => {
  try {
    await transform();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestException);
    const body = (e as BadRequestException).getResponse() as { errors: { field: string }[] };
    return body.errors.map((f) => f.field);
  }
};

const dtoAccepts = (dto: new () => object, body: unknown) =>
  validateSync(plainToInstance(dto, body), { whitelist: true, forbidNonWhitelisted: true })
    .length === 0;

describe('CompleteBatchPipe', () => {
  const pipe = new CompleteBatchPipe();

  it('passes a body in the common shape through as it is (the hand-checked path)', async () => {
    const body = { items: [{ id: 'task-1', leaseToken: TOKEN, result: { a: 1 } }] };
    await expect(pipe.transform(body)).resolves.toBe(body);
  });

  it('names the fields like CompleteBatchDto for anything else', async () => {
    expect(await fieldsOf(() => pipe.transform({ items: [] }))).toEqual(['items']);
    expect(await fieldsOf(() => pipe.transform(undefined))).toEqual(['items']);
    expect(await fieldsOf(() => pipe.transform([1]))).toEqual(['body']);
    expect(
      await fieldsOf(() =>
        pipe.transform({ items: [{ id: 'a', leaseToken: 'x' }, { leaseToken: TOKEN }] }),
      ),
    ).toEqual(['items.0.leaseToken', 'items.1.id']);
    expect(
      await fieldsOf(() => pipe.transform({ items: [{ id: 'a', leaseToken: TOKEN }], x: 1 })),
    ).toEqual(['x']);
  });

  it('the hand check never accepts what CompleteBatchDto refuses', async () => {
    const item = fc.record(
      {
        id: fc.oneof(fc.string(), fc.constantFrom('a', '123', 'task-1', 'x'.repeat(129))),
        leaseToken: fc.oneof(fc.string(), fc.constant(TOKEN), fc.constant(`${TOKEN}0`)),
        result: fc.jsonValue(),
        extra: fc.integer(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 3 }), async (items) => {
        const accepted = (await fieldsOf(() => pipe.transform({ items }))) === 'ok';
        if (accepted) expect(dtoAccepts(CompleteBatchDto, { items })).toBe(true);
      }),
    );
  });
});

describe('LeaseBodyPipe', () => {
  const pipe = new LeaseBodyPipe();

  it('passes a body in the common shape through as it is', async () => {
    const body = { types: ['reports.pdf'], max: 10, waitSeconds: 20, leaseSeconds: 60 };
    await expect(pipe.transform(body)).resolves.toBe(body);
  });

  it('names the fields like LeaseTasksDto for anything else', async () => {
    expect(
      await fieldsOf(() =>
        pipe.transform({ types: ['a'], max: 0, waitSeconds: 21, leaseSeconds: 4 }),
      ),
    ).toEqual(['max', 'waitSeconds', 'leaseSeconds']);
    expect(await fieldsOf(() => pipe.transform({ types: [] }))).toEqual(['types']);
    expect(await fieldsOf(() => pipe.transform({ types: ['bad type'] }))).toEqual(['types']);
    expect(await fieldsOf(() => pipe.transform({ types: ['a'], other: 1 }))).toEqual(['other']);
    expect(await fieldsOf(() => pipe.transform('x'))).toEqual(['body']);
  });

  it('the hand check never accepts what LeaseTasksDto refuses', async () => {
    const body = fc.record(
      {
        types: fc.array(fc.oneof(fc.string(), fc.constantFrom('a.b', 'ext.*', '.x')), {
          maxLength: 22,
        }),
        max: fc.oneof(fc.integer({ min: -1, max: 101 }), fc.double()),
        waitSeconds: fc.integer({ min: -1, max: 21 }),
        leaseSeconds: fc.integer({ min: 4, max: 3601 }),
        other: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const accepted = (await fieldsOf(() => pipe.transform(b))) === 'ok';
        if (accepted) expect(dtoAccepts(LeaseTasksDto, b)).toBe(true);
      }),
    );
  });
});
