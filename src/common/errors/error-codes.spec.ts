import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpStatus } from '@nestjs/common';
import { appError, codeForStatus, ERROR_CODES } from './error-codes';

describe('error codes', () => {
  it('docs/errors.md lists exactly the codes of ERROR_CODES, with their status and meaning', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)`\s*\| (\d+)\s*\| (.*?)\s*\|$/gm)].map((m) => [
      m[1],
      Number(m[2]),
      m[3],
    ]);
    const want = Object.entries(ERROR_CODES).map(([code, [status, meaning]]) => [
      code,
      status,
      meaning,
    ]);
    expect(rows).toEqual(want);
  });

  it('gives an error without a precise code the generic code of its status', () => {
    expect(codeForStatus(404)).toBe('NOT_FOUND');
    expect(codeForStatus(503)).toBe('SERVICE_UNAVAILABLE');
    expect(codeForStatus(418)).toBe('BAD_REQUEST');
    expect(codeForStatus(599)).toBe('INTERNAL');
  });

  it('builds an HttpException whose body carries the code and the extra fields', () => {
    const err = appError(HttpStatus.CONFLICT, 'TASK_CONFLICT', 'taken', { ids: ['a'] });
    expect(err.getStatus()).toBe(409);
    expect(err.getResponse()).toEqual({ message: 'taken', code: 'TASK_CONFLICT', ids: ['a'] });
  });
});
