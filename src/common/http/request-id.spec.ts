import type { IncomingMessage } from 'node:http';
import { requestIdOf } from './request-id';

const req = (id?: string) =>
  ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

describe('requestIdOf', () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdOf(req('trace-1:a.b_c'))).toBe('trace-1:a.b_c');
  });

  it.each(['', 'has space', 'x'.repeat(129), 'inject\nline', '<script>'])(
    'replaces %j with a UUID',
    (bad) => {
      expect(requestIdOf(req(bad))).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    },
  );

  it('answers the same id every time for one request', () => {
    const r = req();
    expect(requestIdOf(r)).toBe(requestIdOf(r));
  });
});
