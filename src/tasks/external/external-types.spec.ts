import { ExternalTypes } from './external-types';

describe('ExternalTypes', () => {
  it('matches exact names and prefix.* patterns, nothing else', () => {
    const t = new ExternalTypes(['reports.pdf', 'billing.*']);
    expect(t.enabled).toBe(true);
    expect(t.matches('reports.pdf')).toBe(true);
    expect(t.matches('reports.csv')).toBe(false);
    expect(t.matches('billing.invoice')).toBe(true);
    expect(t.matches('billing.')).toBe(false);
    expect(t.matches('billing')).toBe(false);
    expect(t.matches('echo')).toBe(false);
    expect(t.names).toEqual(['reports.pdf']);
  });

  it('is disabled when nothing is declared', () => {
    const t = new ExternalTypes([]);
    expect(t.enabled).toBe(false);
    expect(t.matches('anything')).toBe(false);
  });
});
