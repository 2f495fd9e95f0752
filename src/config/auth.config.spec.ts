import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './env.schema';
import { readApiKeys } from './auth.config';

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
