import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './env.schema';
import {
  adminEntry,
  mergeKeys,
  namespaceAllowed,
  parseKeyFileText,
  readApiKeys,
  sha256,
  taskTypeAllowed,
} from './auth.config';

describe('readApiKeys', () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'keys-')), 'keys');
    writeFileSync(path, text);
    return path;
  };

  it('merges API_KEYS and API_KEYS_FILE, skipping blanks and # comments', () => {
    const keys = readApiKeys(
      ' key-aaaaaaaaaaaaaaaa , ,',
      file('# rotation\nkey-bbbbbbbbbbbbbbbb\n\nkey-cccccccccccccccc # new\n'),
    );
    expect(keys).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb', 'key-cccccccccccccccc']);
  });

  it('rejects short keys and keys with spaces or control characters', () => {
    expect(() => readApiKeys('short', undefined)).toThrow(ConfigError);
    expect(() => readApiKeys(undefined, file('key with spaces inside it\n'))).toThrow(
      /API_KEYS each key/,
    );
  });

  it('names API_KEYS_FILE when it cannot be read', () => {
    expect(() => readApiKeys(undefined, '/nonexistent/keys')).toThrow(
      /^Invalid configuration: API_KEYS_FILE cannot be read \(ENOENT\)$/,
    );
  });

  it('returns nothing when neither is set (the caller decides whether that is fatal)', () => {
    expect(readApiKeys(undefined, undefined)).toEqual([]);
  });
});

describe('parseKeyFileText (key document)', () => {
  const digest = (k: string) => sha256(k).toString('hex');
  const doc = (entries: string) => `keys:\n${entries}`;
  const fails = (text: string) => {
    try {
      parseKeyFileText(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).not.toContain('\n'); // one line
      return msg;
    }
    throw new Error('expected the document to be refused');
  };

  it('reads ids, digests or plain keys, scopes, expiry and namespaces', () => {
    const [a, b, c] = parseKeyFileText(
      doc(
        `  - id: dashboards\n    sha256: ${digest('dash-key-0123456789abcdef')}\n    scopes: [counters:read]\n` +
          '  - id: ci\n    key: ci-key-0123456789abcdef\n    scopes: [tasks:read, tasks:write]\n    expires: 2027-01-01T00:00:00Z\n' +
          '  - id: team-a\n    key: team-a-key-0123456789abcdef\n    scopes: [eks:read, eks:write]\n    namespaces: [team-a, team-a-*]\n',
      ),
    );
    expect(a.identity).toMatchObject({ id: 'dashboards', admin: false });
    expect([...a.identity.scopes]).toEqual(['counters:read']);
    expect(a.digest.equals(sha256('dash-key-0123456789abcdef'))).toBe(true);
    expect(b.digest.equals(sha256('ci-key-0123456789abcdef'))).toBe(true);
    expect(b.identity.expiresAt).toBe(Date.parse('2027-01-01T00:00:00Z'));
    const rule = c.identity.namespaces!;
    expect(namespaceAllowed(rule, 'team-a')).toBe(true);
    expect(namespaceAllowed(rule, 'team-a-dev')).toBe(true);
    expect(namespaceAllowed(rule, 'team-b')).toBe(false);
    expect(namespaceAllowed(rule, 'team-ab')).toBe(false);
  });

  it('reads taskTypes: names and prefix.* patterns', () => {
    const [k] = parseKeyFileText(
      doc(
        '  - id: team-a\n    key: team-a-key-0123456789abcdef\n    scopes: [tasks:work]\n    taskTypes: [echo, billing.*]\n',
      ),
    );
    const rule = k.identity.taskTypes!;
    expect(rule.patterns).toEqual(['echo', 'billing.*']);
    expect(taskTypeAllowed(rule, 'echo')).toBe(true);
    expect(taskTypeAllowed(rule, 'billing.invoice')).toBe(true);
    expect(taskTypeAllowed(rule, 'billing')).toBe(false);
    expect(taskTypeAllowed(rule, 'echo.x')).toBe(false);
    expect(taskTypeAllowed(rule, 'sleep')).toBe(false);
  });

  it('reads the same document written as JSON', () => {
    const [k] = parseKeyFileText(
      JSON.stringify({ keys: [{ id: 'x', key: 'json-key-0123456789abcdef', scopes: ['admin'] }] }),
    );
    expect(k.identity).toMatchObject({ id: 'x', admin: true });
  });

  it('keeps the plain one-key-per-line format, every key admin with a digest-prefix id', () => {
    const keys = parseKeyFileText('# old format\nkey-bbbbbbbbbbbbbbbb\n');
    expect(keys).toHaveLength(1);
    expect(keys[0].identity.admin).toBe(true);
    expect(keys[0].identity.id).toBe(digest('key-bbbbbbbbbbbbbbbb').slice(0, 16));
  });

  it.each([
    [
      'a key that appears twice',
      '  - id: a\n    key: same-key-0123456789abcdef\n    scopes: [admin]\n  - id: b\n    sha256: ' +
        digest('same-key-0123456789abcdef') +
        '\n    scopes: [admin]\n',
      /^Invalid configuration: API_KEYS_FILE keys\[1\] \(id b\): same key as keys\[0\]$/,
    ],
    [
      'an id used twice',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [admin]\n  - id: a\n    key: two-key-0123456789abcdef\n    scopes: [admin]\n',
      /keys\[1\] \(id a\): id already used by keys\[0\]/,
    ],
    [
      'an unknown scope',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [tasks:wrte]\n',
      /keys\[0\] \(id a\): unknown scope "tasks:wrte" \(known: counters:read, .*tasks:work.*admin\)/,
    ],
    [
      'a bad id',
      '  - id: Bad_Id\n    key: one-key-0123456789abcdef\n    scopes: [admin]\n',
      /^Invalid configuration: API_KEYS_FILE keys\[0\]: id must match/,
    ],
    [
      'a bad date',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [admin]\n    expires: next tuesday\n',
      /keys\[0\] \(id a\): expires must be an ISO 8601 date-time/,
    ],
    [
      'both sha256 and key',
      `  - id: a\n    key: one-key-0123456789abcdef\n    sha256: ${digest('x')}\n    scopes: [admin]\n`,
      /exactly one of sha256/,
    ],
    [
      'a short digest',
      '  - id: a\n    sha256: abc\n    scopes: [admin]\n',
      /sha256 must be 64 hex/,
    ],
    [
      'no scopes',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: []\n',
      /scopes must be a non-empty list/,
    ],
    [
      'an unknown field',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scope: [admin]\n',
      /keys\[0\] \(id a\): unknown field scope/,
    ],
    [
      'a bad namespace pattern',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [eks:read]\n    namespaces: ["*"]\n',
      /namespace "\*" is not a DNS label/,
    ],
    [
      'a bad task type pattern',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [tasks:work]\n    taskTypes: ["*"]\n',
      /task type "\*" is not a type name nor a prefix ending in \.\*/,
    ],
    [
      'an empty taskTypes',
      '  - id: a\n    key: one-key-0123456789abcdef\n    scopes: [tasks:work]\n    taskTypes: []\n',
      /taskTypes must be a non-empty list/,
    ],
  ])('refuses %s with one line naming the entry', (_what, entries, expected) => {
    expect(fails(doc(entries))).toMatch(expected);
  });

  it('refuses YAML that does not parse, naming the file', () => {
    expect(fails('keys:\n  - id: a\n   key: [')).toMatch(
      /^Invalid configuration: API_KEYS_FILE is not valid YAML\/JSON \(/,
    );
  });

  it('refuses a document key that is also in API_KEYS', () => {
    const env = [adminEntry('env-key-0123456789abcdef')];
    const file = parseKeyFileText(
      doc('  - id: a\n    key: env-key-0123456789abcdef\n    scopes: [admin]\n'),
    );
    expect(() => mergeKeys(env, file)).toThrow(/key a: same key as /);
  });
});
