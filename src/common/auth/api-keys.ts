import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { authConfig, sha256, type AuthConfig } from '../../config';

/** Checks presented keys against the configured digests. */
@Injectable()
export class ApiKeys {
  constructor(@Inject(authConfig.KEY) private readonly auth: AuthConfig) {}

  /** A short id of the matching key (a digest prefix, safe to log), or undefined. */
  identify(key: unknown): string | undefined {
    if (typeof key !== 'string' || key.length === 0) return undefined;
    const digest = sha256(key);
    let match: Buffer | undefined;
    // Compare against every key, without short-circuit, so timing does not tell which matched.
    for (const known of this.auth.digests) if (timingSafeEqual(known, digest)) match = known;
    return match?.toString('hex').slice(0, 16);
  }
}
