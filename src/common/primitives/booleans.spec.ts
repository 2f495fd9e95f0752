import { parseBoolean } from './booleans';

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    [' off ', false],
  ])('%j → %s', (raw, want) => expect(parseBoolean(raw)).toBe(want));

  it('leaves anything else for the schema to refuse, naming the variable', () => {
    expect(parseBoolean('maybe')).toBe('maybe');
    expect(parseBoolean('')).toBe('');
  });

  it('passes booleans and undefined through', () => {
    expect(parseBoolean(true)).toBe(true);
    expect(parseBoolean(undefined)).toBeUndefined();
  });
});
