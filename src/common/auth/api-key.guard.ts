import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { namespaceAllowed, type KeyIdentity, type Scope } from '../../config';
import { RawBodyException } from '../errors/raw-body.exception';
import { ApiKeys, EXPIRED } from './api-keys';
import { AUTH_ERRORS, type LegacyAuthErrors } from './auth-errors.decorator';
import { IS_PUBLIC } from './public.decorator';
import { NAMESPACE_AT, REQUIRED_SCOPE, type NamespaceSource } from './scope.decorator';

/** What the guard settled about a request; the audit log and the handlers read it. */
export type AuthedRequest = FastifyRequest & {
  apiKeyId?: string;
  /** The key's identity, resolved once per request. */
  caller?: KeyIdentity;
  /** The route's declared scope (set before the key is checked, so refusals are audited with it). */
  requiredScope?: Scope;
};

export const MISSING_KEY = 'Missing API key: send it in the X-API-Key header';

/** What a route needs, read from its metadata once (the first request), not on every request. */
interface RouteAuth {
  isPublic: boolean;
  /** Undefined: the route declared none, and only `admin` passes. */
  scope?: Scope;
  legacy?: LegacyAuthErrors;
  namespaceAt?: readonly NamespaceSource[];
}

/**
 * Global guard: every route needs a valid, unexpired X-API-Key unless marked @Public(), and the
 * key must hold the route's scope (@RequireScope) or `admin`; eks routes also check the key's
 * namespaces. Guards run before pipes and handlers, so a refused request changes nothing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly routes = new WeakMap<object, RouteAuth>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const route = this.routeOf(ctx);
    if (route.isPublic) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    req.requiredScope = route.scope;
    const key = req.headers['x-api-key'];
    // The rate limiter may have identified it already: one digest per request.
    const found = req.caller ?? this.keys.lookup(key);
    if (found === undefined || found === EXPIRED) throw this.refuseKey(route, key, found);
    req.caller = found;
    req.apiKeyId = found.id; // rate limits, logs and audit use this, never the key
    if (!found.admin && (route.scope === undefined || !found.scopes.has(route.scope)))
      throw this.missingScope(route, found);
    if (found.namespaces && route.namespaceAt) {
      const ns = namespaceOf(req, route.namespaceAt);
      if (ns !== undefined && !namespaceAllowed(found.namespaces, ns))
        throw this.outsideNamespaces(found, ns);
    }
    return true;
  }

  private routeOf(ctx: ExecutionContext): RouteAuth {
    const handler = ctx.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, ctx.getClass()];
      route = {
        isPublic: Boolean(this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)),
        scope: this.reflector.getAllAndOverride<Scope>(REQUIRED_SCOPE, targets),
        legacy: this.reflector.getAllAndOverride<LegacyAuthErrors>(AUTH_ERRORS, targets),
        namespaceAt: this.reflector.getAllAndOverride<NamespaceSource[]>(NAMESPACE_AT, targets),
      };
      this.routes.set(handler, route);
    }
    return route;
  }

  private refuseKey(route: RouteAuth, key: unknown, found: typeof EXPIRED | undefined): Error {
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

  private missingScope(route: RouteAuth, who: KeyIdentity): Error {
    const needed = route.scope ?? 'admin';
    if (route.legacy?.forbidden) return new RawBodyException(403, route.legacy.forbidden(needed));
    return new ForbiddenException({
      message: `API key ${who.id} lacks the scope this route needs: ${needed}`,
      code: 'AUTH_SCOPE_MISSING',
      requiredScope: needed,
    });
  }

  private outsideNamespaces(who: KeyIdentity, ns: string): Error {
    const message = `API key ${who.id} may not reach namespace ${ns} (its namespaces: ${who.namespaces!.patterns.join(', ')})`;
    return new ForbiddenException({ message, code: 'AUTH_NAMESPACE_FORBIDDEN', namespace: ns });
  }
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
