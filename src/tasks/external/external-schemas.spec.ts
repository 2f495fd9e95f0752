import { BadRequestException } from '@nestjs/common';
import { ConfigError } from '../../config';
import { ExternalSchemas } from './external-schemas';
import { ExternalTypes } from './external-types';

describe('ExternalSchemas', () => {
  const types = new ExternalTypes(['reports.pdf', 'billing.*']);

  it('picks the exact name, else the longest prefix', () => {
    const s = new ExternalSchemas(
      {
        'billing.*': { type: 'object', required: ['a'] },
        'billing.eu.*': { type: 'object', required: ['b'] },
        'reports.pdf': { type: 'string' },
      },
      types,
    );
    expect(s.size).toBe(3);
    expect(s.check('billing.us', { a: 1 })).toEqual({ a: 1 });
    expect(s.check('billing.eu.vat', { b: 1 })).toEqual({ b: 1 });
    expect(() => s.check('billing.eu.vat', { a: 1 })).toThrow(BadRequestException);
    expect(s.check('reports.pdf', 'x')).toBe('x');
  });

  it('refuses at start a key that is not external, or a schema that does not compile', () => {
    expect(() => new ExternalSchemas({ echo: {} }, types)).toThrow(ConfigError);
    expect(() => new ExternalSchemas({ 'other.*': {} }, types)).toThrow(/not an external type/);
    expect(() => new ExternalSchemas({ 'reports.pdf': { type: 'nonsense' } }, types)).toThrow(
      /TASKS_EXTERNAL_SCHEMAS_FILE reports.pdf: /,
    );
  });
});
