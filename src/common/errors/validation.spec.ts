import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation';

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
