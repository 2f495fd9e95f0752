import { timingSafeEqual } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  authConfig,
  mergeKeys,
  parseKeyFileText,
  sha256,
  type AuthConfig,
  type KeyEntry,
  type KeyIdentity,
} from '../../config';
import { counter, gauge } from '../../observability/metric';

const loaded = gauge({ name: 'api_keys_loaded', help: 'API keys currently accepted' });
const lastLoad = gauge({
  name: 'api_keys_last_load_timestamp_seconds',
  help: 'When the API keys were last loaded (start or a successful re-read of API_KEYS_FILE)',
});
const reloadFailures = counter({
  name: 'api_keys_reload_failures_total',
  help: 'Re-reads of API_KEYS_FILE that failed (the previous keys stayed in force)',
});

/** A key that matched but is past its `expires`. */
export const EXPIRED = 'expired' as const;

/**
 * The accepted keys, as digests with what each key may do. API_KEYS is fixed for the process's
 * life; API_KEYS_FILE is re-read when it changes (a directory watch, which sees the kubelet's
 * `..data` symlink swap, plus a poll every API_KEYS_RELOAD_INTERVAL_MS in case the watch misses
 * it). A file that fails to parse keeps the previous keys, logs one error line and is counted.
 */
@Injectable()
export class ApiKeys implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('ApiKeys');
  private entries: readonly KeyEntry[];
  /** SHA-256 of the file's last text (never the text: it may hold plain keys). */
  private lastDigest: string;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(@Inject(authConfig.KEY) private readonly auth: AuthConfig) {
    this.entries = auth.keys;
    this.lastDigest = auth.fileDigest;
    this.published();
  }

  get count(): number {
    return this.entries.length;
  }

  /** The identity of a valid, unexpired key, or undefined. */
  identify(key: unknown): KeyIdentity | undefined {
    const found = this.lookup(key);
    return found === EXPIRED ? undefined : found;
  }

  /** The identity of the key, `expired` if it matched but is past its date, or undefined. */
  lookup(key: unknown): KeyIdentity | typeof EXPIRED | undefined {
    if (typeof key !== 'string' || key.length === 0) return undefined;
    const digest = sha256(key);
    let match: KeyIdentity | undefined;
    // Compare against every key, without short-circuit, so timing does not tell which matched.
    for (const known of this.entries)
      if (timingSafeEqual(known.digest, digest)) match = known.identity;
    if (match?.expiresAt !== undefined && Date.now() >= match.expiresAt) return EXPIRED;
    return match;
  }

  onModuleInit(): void {
    const file = this.auth.file;
    if (!file) return;
    try {
      // The kubelet swaps `..data` in the file's directory: watching the file itself would miss it.
      this.watcher = watch(dirname(file), () => void this.check());
      this.watcher.on('error', () => undefined); // the poll still runs
    } catch {
      // No inotify here (or the directory is gone): the poll alone covers it.
    }
    this.timer = setInterval(() => void this.check(), this.auth.reloadIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }

  /** Re-reads the file; swaps the keys only when it changed and parses. Public for tests. */
  async check(): Promise<void> {
    const file = this.auth.file;
    if (!file || this.checking) return;
    this.checking = true;
    try {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        text = `\0unreadable:${(e as NodeJS.ErrnoException).code}`;
      }
      const digest = sha256(text).toString('hex');
      if (digest === this.lastDigest) return;
      this.lastDigest = digest;
      try {
        if (text.startsWith('\0unreadable:'))
          throw new Error(`API_KEYS_FILE cannot be read (${text.slice(12)})`);
        const next = mergeKeys(this.auth.envKeys, parseKeyFileText(text));
        if (next.length === 0) throw new Error('API_KEYS_FILE has no key left');
        this.entries = next;
        this.published();
        this.log.log(`API keys reloaded from API_KEYS_FILE: ${next.length} keys`);
      } catch (e) {
        reloadFailures.inc();
        const msg = (e as Error).message.replace(/^Invalid configuration: /, '');
        this.log.error(`API keys not reloaded, the previous keys stay in force: ${msg}`);
      }
    } finally {
      this.checking = false;
    }
  }

  private published(): void {
    loaded.set(this.entries.length);
    lastLoad.set(Date.now() / 1000);
  }
}
