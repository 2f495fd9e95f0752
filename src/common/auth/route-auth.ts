import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { namespaceAllowed, type KeyIdentity, type Scope } from '../../config';
import { RawBodyException } from '../errors/raw-body.exception';
import { EXPIRED } from './api-keys';
import type { LegacyAuthErrors } from './auth-errors.decorator';
import type { FusedLimit } from '../rate-limit/rate-limiter';
import type { NamespaceSource } from './scope.decorator';

/** What the request gate settled about a request; the audit log and the handlers read it. */
export type AuthedRequest = FastifyRequest & {
  apiKeyId?: string;
  /** The key's identity, resolved once per request. */
  caller?: KeyIdentity;
  /** The route's declared scope (set before the key is checked, so refusals are audited with it). */
  requiredScope?: Scope;
  /** The rate-limit hit the handler counts in its own script (@FusedRateLimit routes). */
  fusedLimit?: FusedLimit;
};

export const MISSING_KEY = 'Missing API key: send it in the X-API-Key header';

/**
 * What a route needs, read from its decorators once at start-up (RequestGate.declareRoutes) and
 * carried in the Fastify route's config, so a request reads it without any reflection.
 */
export interface RouteAuth {
  isPublic: boolean;
  /** Undefined: the route declared none, and only `admin` passes. */
  scope?: Scope;
  legacy?: LegacyAuthErrors;
  namespaceAt?: readonly NamespaceSource[];
  /** RATE_LIMITS group of keyed requests (`default` unless @RateLimitGroup). */
  group: string;
  /** @SkipRateLimit(): no rate limit (probes, metrics). */
  unlimited: boolean;
  /** @FusedRateLimit(): the handler counts the hit in its own Redis script. */
  fused: boolean;
}

/**
 * The key check of a non-public route: a valid, unexpired X-API-Key holding the route's scope or
 * `admin`. `found` is the key's lookup (done once per request). Undefined: it passes.
 */
export function refusal(
  route: RouteAuth,
  key: unknown,
  found: KeyIdentity | typeof EXPIRED | undefined,
): Error | undefined {
  if (found === undefined || found === EXPIRED) return refuseKey(route, key, found);
  if (!found.admin && (route.scope === undefined || !found.scopes.has(route.scope)))
    return missingScope(route, found);
  return undefined;
}

/** The namespace check of eks routes (after the body is parsed); undefined: it passes. */
export function namespaceRefusal(
  route: RouteAuth,
  req: FastifyRequest,
  who: KeyIdentity,
): Error | undefined {
  if (!who.namespaces || !route.namespaceAt) return undefined;
  const ns = namespaceOf(req, route.namespaceAt);
  if (ns === undefined || namespaceAllowed(who.namespaces, ns)) return undefined;
  const message = `API key ${who.id} may not reach namespace ${ns} (its namespaces: ${who.namespaces.patterns.join(', ')})`;
  return new ForbiddenException({ message, code: 'AUTH_NAMESPACE_FORBIDDEN', namespace: ns });
}

function refuseKey(route: RouteAuth, key: unknown, found: typeof EXPIRED | undefined): Error {
  const missing = typeof key !== 'string' || key.length === 0;
  if (route.legacy) {
    const err = missing ? route.legacy.missing : route.legacy.invalid;
    return new RawBodyException(err.status, err.body);
  }
  if (found === EXPIRED)
    return new UnauthorizedException({
      message: 'API key expired: ask for a new one',
      code: 'AUTH_KEY_EXPIRED',
    });
  return unauthorized(missing);
}

function missingScope(route: RouteAuth, who: KeyIdentity): Error {
  const needed = route.scope ?? 'admin';
  if (route.legacy?.forbidden) return new RawBodyException(403, route.legacy.forbidden(needed));
  return new ForbiddenException({
    message: `API key ${who.id} lacks the scope this route needs: ${needed}`,
    code: 'AUTH_SCOPE_MISSING',
    requiredScope: needed,
  });
}

function namespaceOf(req: FastifyRequest, at: readonly NamespaceSource[]): string | undefined {
  for (const [where, field] of at) {
    const bag = req[where] as Record<string, unknown> | undefined;
    const v = bag && typeof bag === 'object' ? bag[field] : undefined;
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** The 401 of a request without a usable key (the filter uses it for unknown paths too). */
export const unauthorized = (missing: boolean): UnauthorizedException =>
  new UnauthorizedException(
    missing
      ? { message: MISSING_KEY, code: 'AUTH_KEY_MISSING' }
      : { message: 'Invalid API key', code: 'AUTH_KEY_INVALID' },
  );
