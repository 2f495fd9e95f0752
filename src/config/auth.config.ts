import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { registerAs } from '@nestjs/config';
import { ConfigError } from './env.schema';
import { loadEnv } from './load-env';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Keys from API_KEYS (comma-separated) and API_KEYS_FILE (one per line, `#` comments). */
export function readApiKeys(list: string | undefined, file: string | undefined): string[] {
  const keys = (list ?? '').split(',');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `Invalid configuration: API_KEYS_FILE cannot be read (${(e as NodeJS.ErrnoException).code})`,
      );
    }
    keys.push(...text.split(/\r?\n/).map((line) => line.replace(/#.*$/, '')));
  }
  const trimmed = keys.map((k) => k.trim()).filter(Boolean);
  const bad = trimmed.find((k) => k.length < 16 || k.length > 256 || /[^\x21-\x7e]/.test(k));
  if (bad !== undefined) {
    throw new ConfigError(
      'Invalid configuration: API_KEYS each key must be 16-256 visible ASCII characters',
    );
  }
  return trimmed;
}

export const authConfig = registerAs('auth', () => {
  const e = loadEnv();
  const keys = readApiKeys(e.API_KEYS, e.API_KEYS_FILE);
  if (keys.length === 0 && e.APP_ROLE !== 'worker') {
    throw new ConfigError(
      'Invalid configuration: API_KEYS or API_KEYS_FILE must provide at least one key',
    );
  }
  // Only digests are kept: a heap dump or a log of this object never shows a key.
  return { digests: keys.map(sha256) };
});
export type AuthConfig = ReturnType<typeof authConfig>;
