import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { registerAs } from '@nestjs/config';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './env.schema';
import { loadEnv } from './load-env';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Every scope a key may hold. `admin` is everything (and the queue UI). `tasks:work` is for
 * external workers (taking and finishing tasks).
 */
export const SCOPES = [
  'counters:read',
  'counters:write',
  'tasks:read',
  'tasks:write',
  'tasks:work',
  'ingest:read',
  'ingest:write',
  'ingest:admin',
  'eks:read',
  'eks:write',
  'eks:namespaces',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];
const KNOWN_SCOPES: ReadonlySet<string> = new Set(SCOPES);

/** Which namespaces a key's eks calls may reach: exact names and `prefix-*` patterns. */
export interface NamespaceRule {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
  /** As written in the key file, for messages. */
  patterns: readonly string[];
}

export const namespaceAllowed = (rule: NamespaceRule, ns: string): boolean =>
  rule.exact.has(ns) || rule.prefixes.some((p) => ns.startsWith(p));

/** Which task types a key may submit, lease, see and finish: exact names and `prefix.*` patterns. */
export interface TaskTypeRule {
  exact: ReadonlySet<string>;
  /** `billing.*` → `billing.` */
  prefixes: readonly string[];
  /** As written in the key file, for messages. */
  patterns: readonly string[];
}

export const taskTypeAllowed = (rule: TaskTypeRule, type: string): boolean =>
  rule.exact.has(type) || rule.prefixes.some((p) => type.startsWith(p));

/** What a key is: its id, its powers, its limits. Never the key itself. */
export interface KeyIdentity {
  id: string;
  scopes: ReadonlySet<Scope>;
  /** Holds `admin`: every route, every task, every namespace. */
  admin: boolean;
  /** Epoch ms after which the key is refused (401). */
  expiresAt?: number;
  /** Absent: every namespace the eks policy allows. */
  namespaces?: NamespaceRule;
  /** Absent: every task type. */
  taskTypes?: TaskTypeRule;
}

export interface KeyEntry {
  digest: Buffer;
  identity: KeyIdentity;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$|^[a-z0-9][-a-z0-9]{0,61}\*$/;
const TASK_TYPE_PATTERN =
  /^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}|[A-Za-z0-9_-][A-Za-z0-9_.-]{0,60}\.\*)$/;
const ENTRY_FIELDS = new Set([
  'id',
  'sha256',
  'key',
  'scopes',
  'expires',
  'namespaces',
  'taskTypes',
]);
const ADMIN: ReadonlySet<Scope> = new Set<Scope>(['admin']);

const validPlainKey = (k: string) => k.length >= 16 && k.length <= 256 && !/[^\x21-\x7e]/.test(k);

/** A plain key (API_KEYS, one-per-line file): `admin`, its id a digest prefix (safe to log). */
export function adminEntry(key: string): KeyEntry {
  const digest = sha256(key);
  return {
    digest,
    identity: { id: digest.toString('hex').slice(0, 16), scopes: ADMIN, admin: true },
  };
}

/** The file holds a YAML/JSON document (`keys:` or `{`) rather than one key per line. */
export function isKeyDocument(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    return line === '---' || line.startsWith('{') || /^keys\s*:/.test(line);
  }
  return false;
}

/** The key document's entries; throws one line naming the entry and its problem. */
export function parseKeyDocument(text: string, source = 'API_KEYS_FILE'): KeyEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    throw new ConfigError(`Invalid configuration: ${source} is not valid YAML/JSON (${first})`);
  }
  const top = doc as { keys?: unknown } | null;
  if (typeof top !== 'object' || top === null || Array.isArray(top) || !Array.isArray(top.keys)) {
    throw new ConfigError(`Invalid configuration: ${source} must be a document with a keys: list`);
  }
  const extra = Object.keys(top).filter((k) => k !== 'keys');
  if (extra.length)
    throw new ConfigError(`Invalid configuration: ${source} unknown field ${extra[0]}`);
  const ids = new Map<string, number>();
  const digests = new Map<string, number>();
  return top.keys.map((raw: unknown, i: number) => {
    const where = (id?: unknown) =>
      // Only a well-formed id is echoed: a key pasted into the wrong field must not reach a log.
      `${source} keys[${i}]${typeof id === 'string' && ID.test(id) ? ` (id ${id})` : ''}`;
    const fail = (id: unknown, problem: string): never => {
      throw new ConfigError(`Invalid configuration: ${where(id)}: ${problem}`);
    };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      return fail(undefined, 'must be a mapping with id, sha256 or key, and scopes');
    const e = raw as Record<string, unknown>;
    const unknown = Object.keys(e).find((k) => !ENTRY_FIELDS.has(k));
    if (unknown) fail(e.id, `unknown field ${unknown}`);
    if (typeof e.id !== 'string' || !ID.test(e.id))
      fail(e.id, 'id must match [a-z0-9][a-z0-9._-]{0,63}');
    const id = e.id as string;
    if (ids.has(id)) fail(id, `id already used by keys[${ids.get(id)}]`);
    ids.set(id, i);

    if ((e.sha256 === undefined) === (e.key === undefined))
      fail(id, 'give exactly one of sha256 (hex digest of the key) or key');
    let digest: Buffer;
    if (e.sha256 !== undefined) {
      if (typeof e.sha256 !== 'string' || !HEX64.test(e.sha256))
        fail(id, 'sha256 must be 64 hex characters');
      digest = Buffer.from(e.sha256 as string, 'hex');
    } else {
      if (typeof e.key !== 'string' || !validPlainKey(e.key))
        fail(id, 'key must be 16-256 visible ASCII characters');
      digest = sha256(e.key as string);
    }
    const hex = digest.toString('hex');
    if (digests.has(hex)) fail(id, `same key as keys[${digests.get(hex)}]`);
    digests.set(hex, i);

    if (!Array.isArray(e.scopes) || e.scopes.length === 0)
      fail(id, `scopes must be a non-empty list of ${SCOPES.join(', ')}`);
    const scopes = new Set<Scope>();
    for (const s of e.scopes as unknown[]) {
      if (typeof s !== 'string' || !KNOWN_SCOPES.has(s))
        fail(id, `unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`);
      scopes.add(s as Scope);
    }

    let expiresAt: number | undefined;
    if (e.expires !== undefined) {
      // YAML may hand over a Date (JSON/YAML 1.1 timestamps) or the string as written.
      const t =
        e.expires instanceof Date
          ? e.expires.getTime()
          : typeof e.expires === 'string' && ISO_DATE.test(e.expires)
            ? Date.parse(e.expires)
            : NaN;
      if (!Number.isFinite(t))
        fail(id, 'expires must be an ISO 8601 date-time (2027-01-01T00:00:00Z)');
      expiresAt = t;
    }

    let namespaces: NamespaceRule | undefined;
    if (e.namespaces !== undefined) {
      if (!Array.isArray(e.namespaces) || e.namespaces.length === 0)
        fail(id, 'namespaces must be a non-empty list of names or name-* patterns');
      const patterns = e.namespaces as unknown[];
      for (const p of patterns)
        if (typeof p !== 'string' || !NAMESPACE_PATTERN.test(p))
          fail(id, `namespace ${JSON.stringify(p)} is not a DNS label nor a prefix ending in *`);
      const list = patterns as string[];
      namespaces = {
        exact: new Set(list.filter((p) => !p.endsWith('*'))),
        prefixes: list.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1)),
        patterns: list,
      };
    }
    let taskTypes: TaskTypeRule | undefined;
    if (e.taskTypes !== undefined) {
      if (!Array.isArray(e.taskTypes) || e.taskTypes.length === 0)
        fail(id, 'taskTypes must be a non-empty list of task type names or prefix.* patterns');
      for (const p of e.taskTypes as unknown[])
        if (typeof p !== 'string' || !TASK_TYPE_PATTERN.test(p))
          fail(id, `task type ${JSON.stringify(p)} is not a type name nor a prefix ending in .*`);
      const list = e.taskTypes as string[];
      taskTypes = {
        exact: new Set(list.filter((p) => !p.endsWith('*'))),
        prefixes: list.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1)),
        patterns: list,
      };
    }
    const identity: KeyIdentity = {
      id,
      scopes,
      admin: scopes.has('admin'),
      expiresAt,
      namespaces,
      taskTypes,
    };
    return { digest, identity };
  });
}

/** Keys from API_KEYS (comma-separated) and API_KEYS_FILE (one per line, `#` comments). */
export function readApiKeys(list: string | undefined, file: string | undefined): string[] {
  const keys = (list ?? '').split(',');
  if (file) keys.push(...plainLines(readKeyFile(file)));
  return checkPlain(keys);
}

function plainLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.replace(/#.*$/, ''));
}

function checkPlain(keys: string[]): string[] {
  const trimmed = keys.map((k) => k.trim()).filter(Boolean);
  if (trimmed.some((k) => !validPlainKey(k))) {
    throw new ConfigError(
      'Invalid configuration: API_KEYS each key must be 16-256 visible ASCII characters',
    );
  }
  return trimmed;
}

export function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `Invalid configuration: API_KEYS_FILE cannot be read (${(e as NodeJS.ErrnoException).code})`,
    );
  }
}

/** Entries of the key file's text, either format. */
export function parseKeyFileText(text: string): KeyEntry[] {
  if (isKeyDocument(text)) return parseKeyDocument(text);
  return checkPlain(plainLines(text)).map(adminEntry);
}

/**
 * Every key: API_KEYS (admin, fixed for the process's life) and then the file's. A document key
 * that is also elsewhere is refused like any duplicate.
 */
export function mergeKeys(envKeys: KeyEntry[], fileKeys: KeyEntry[]): KeyEntry[] {
  const seen = new Map<string, string>();
  const out: KeyEntry[] = [];
  for (const k of [...envKeys, ...fileKeys]) {
    const hex = k.digest.toString('hex');
    const other = seen.get(hex);
    // The same plain key listed twice (API_KEYS and a plain file) was always accepted: keep one.
    if (other !== undefined && other === k.identity.id && k.identity.admin) continue;
    if (other !== undefined)
      throw new ConfigError(
        `Invalid configuration: API_KEYS_FILE key ${k.identity.id}: same key as ${other} (keys must be unique)`,
      );
    seen.set(hex, k.identity.id);
    out.push(k);
  }
  return out;
}

export const authConfig = registerAs('auth', () => {
  const e = loadEnv();
  const envKeys = checkPlain((e.API_KEYS ?? '').split(',')).map(adminEntry);
  const text = e.API_KEYS_FILE ? readKeyFile(e.API_KEYS_FILE) : '';
  const fileKeys = e.API_KEYS_FILE ? parseKeyFileText(text) : [];
  const keys = mergeKeys(envKeys, fileKeys);
  if (keys.length === 0 && e.APP_ROLE !== 'worker') {
    throw new ConfigError(
      'Invalid configuration: API_KEYS or API_KEYS_FILE must provide at least one key',
    );
  }
  // Only digests are kept: a heap dump or a log of this object never shows a key.
  return {
    envKeys,
    keys,
    file: e.API_KEYS_FILE,
    /** Which text the file keys came from, so a re-read can tell whether it changed. */
    fileDigest: sha256(text).toString('hex'),
    reloadIntervalMs: e.API_KEYS_RELOAD_INTERVAL_MS,
  };
});
export type AuthConfig = ReturnType<typeof authConfig>;
