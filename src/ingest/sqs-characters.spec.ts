import { findUnstorable } from './dynamo-limits';
import { badCharacters, escapeBadCharacters } from './sqs-characters';

describe('SQS character rules', () => {
  it('accepts every character SQS takes, surrogate pairs and escapable controls included', () => {
    for (const s of [
      'plain',
      'tab\tnl\ncr\r',
      '\u0000\u001f',
      '\uD7FF\uE000\uFFFD',
      '😀 \u{10FFFF}',
    ])
      expect(badCharacters(s)).toBeUndefined();
  });

  it.each([
    ['a\uFFFEb', /U\+FFFE/],
    ['\uFFFF', /U\+FFFF/],
    ['x\uD800', /lone surrogate \(U\+D800\)/],
    ['\uDC00y', /lone surrogate \(U\+DC00\)/],
    ['\uDBFF\uDBFF\uDC00', /lone surrogate \(U\+DBFF\)/],
  ])('refuses %j', (s, reason) => {
    expect(badCharacters(s)).toMatch(reason);
  });

  it('names the field: a value, an array element, a key', () => {
    expect(findUnstorable({ a: { b: 'ok\uFFFF' } })).toMatchObject({
      path: 'a.b',
      reason: expect.stringMatching(/^string contains U\+FFFF/),
    });
    expect(findUnstorable({ l: ['ok', '\uD800'] })).toMatchObject({ path: 'l.1' });
    expect(findUnstorable({ a: { ['k\uFFFE']: 1 } })).toMatchObject({
      path: 'a.k\\ufffe',
      reason: expect.stringMatching(/^key contains U\+FFFE/),
    });
    expect(escapeBadCharacters('a\uD800b\uFFFF')).toBe('a\\ud800b\\uffff');
  });
});
