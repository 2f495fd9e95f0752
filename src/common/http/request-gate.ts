import { Inject, Injectable } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rateLimitConfig, type KeyIdentity, type RateLimitConfig, type Scope } from '../../config';
import { ApiKeys, EXPIRED } from '../auth/api-keys';
import { AUTH_ERRORS, type LegacyAuthErrors } from '../auth/auth-errors.decorator';
import { IS_PUBLIC } from '../auth/public.decorator';
import { namespaceRefusal, refusal, type AuthedRequest, type RouteAuth } from '../auth/route-auth';
import { NAMESPACE_AT, REQUIRED_SCOPE, type NamespaceSource } from '../auth/scope.decorator';
import { toErrorBody } from '../errors/error-body';
import {
  FUSED_RATE_LIMIT,
  RATE_LIMIT_GROUP,
  SKIP_RATE_LIMIT,
} from '../rate-limit/rate-limit-group.decorator';
import { RateLimiter, tooManyRequests } from '../rate-limit/rate-limiter';
import { securityHeaders } from './security';

/** Where a Nest route's RouteAuth travels: its Fastify route config. */
const AUTH = 'auth';
type Config = { [AUTH]?: RouteAuth };

/**
 * Everything a request passes before a handler, as ONE Fastify onRequest step instead of Nest
 * guards (which cost an execution context, reflection and a promise each, per request): the
 * request id and security headers, the rate limit (per key, or per IP for requests without a
 * valid key, before the key check so key guessing is slowed too), then the key and its scope.
 * eks routes check the key's namespaces once the body is parsed (a preHandler step).
 *
 * What each route needs is read from its decorators once, at start-up (declareRoutes), and
 * carried in the Fastify route's config. Every Nest route gets one: a route that declared no scope
 * is `admin`-only, so a route without a declared scope cannot be reached by a scoped key.
 */
@Injectable()
export class RequestGate {
  private readonly headers = securityHeaders();
  private declared = 0;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
    private readonly limiter: RateLimiter,
    @Inject(rateLimitConfig.KEY) private readonly cfg: RateLimitConfig,
  ) {}

  /**
   * Reads every controller route's auth decorators (method first, then class, as Nest's
   * Reflector.getAllAndOverride) into its Fastify route config. Call before app.init(), when Nest
   * registers the routes (it copies a method's metadata onto the route it registers).
   */
  declareRoutes(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...a: never[]) => object) | undefined;
      if (!type || !wrapper.instance) continue;
      const proto = Object.getPrototypeOf(wrapper.instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const method = proto[name] as object;
        if (Reflect.getMetadata(PATH_METADATA, method) === undefined) continue;
        if (Reflect.getMetadata(METHOD_METADATA, method) === undefined) continue;
        const targets = [method, type] as never[];
        const get = <T>(key: string) => this.reflector.getAllAndOverride<T>(key, targets);
        const auth: RouteAuth = {
          isPublic: Boolean(get<boolean>(IS_PUBLIC)),
          scope: get<Scope>(REQUIRED_SCOPE),
          legacy: get<LegacyAuthErrors>(AUTH_ERRORS),
          namespaceAt: get<NamespaceSource[]>(NAMESPACE_AT),
          group: get<string>(RATE_LIMIT_GROUP) ?? 'default',
          unlimited: Boolean(get<boolean>(SKIP_RATE_LIMIT)),
          fused: Boolean(get<boolean>(FUSED_RATE_LIMIT)),
        };
        const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, method) ?? {}) as Config;
        Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [AUTH]: auth }, method);
        this.declared++;
      }
    }
  }

  /** Installs the onRequest step (and the namespace check). Call before app.init(). */
  install(fastify: FastifyInstance): void {
    if (this.declared === 0) throw new Error('RequestGate.declareRoutes() found no routes');
    let registered = 0;
    fastify.addHook('onRoute', (route) => {
      if ((route.config as Config | undefined)?.[AUTH]) registered++;
    });
    fastify.addHook('onReady', (done) => {
      // Every Nest route must carry its auth: a route that lost it would be unguarded.
      if (registered < this.declared)
        return done(new Error(`RequestGate: ${this.declared - registered} routes lost their auth`));
      done();
    });
    fastify.addHook('onRequest', (req, reply, done) => this.onRequest(req, reply, done));
    // A fused hit the handler never sent (the request failed before its script: a 400, say)
    // is counted now, so requests that fail validation still count against the limit.
    fastify.addHook('onResponse', (req, _reply, done) => {
      const fused = (req as AuthedRequest).fusedLimit;
      if (fused && !fused.taken) {
        fused.taken = true;
        this.limiter.hit(fused.group, fused.tracker).catch(() => undefined);
      }
      done();
    });
    fastify.addHook('preHandler', (req, reply, done) => {
      const route = (req.routeOptions.config as Config)[AUTH];
      const caller = (req as AuthedRequest).caller;
      if (!route?.namespaceAt || !caller) return done();
      const err = namespaceRefusal(route, req, caller);
      if (err) return void refuse(req, reply, err);
      done();
    });
  }

  private onRequest(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    void reply.headers(this.headers).header('x-request-id', req.id);
    const route = (req.routeOptions.config as Config)[AUTH];
    // Not a Nest route (no route matched, /docs, the queue UI): AnonymousLimiter and the
    // exception filter, or the route's own auth, take those.
    if (!route) return done();
    const r = req as AuthedRequest;
    if (!route.isPublic) r.requiredScope = route.scope;
    const key = req.headers['x-api-key'];
    const found = key === undefined ? undefined : this.keys.lookup(key);
    // Rate limits, logs and audit use the key's id, never the key (an expired key is anonymous).
    const valid = found === EXPIRED ? undefined : found;
    r.caller = valid;
    r.apiKeyId = valid?.id;
    if (!this.cfg.enabled || route.unlimited)
      return this.checkKey(route, r, reply, key, found, done);
    if (valid && route.fused && this.limiter.fusable) {
      // The handler counts the hit in its own script (one Redis round trip for both).
      r.fusedLimit = this.limiter.fused(route.group, `k:${valid.id}`, (name, value) => {
        void reply.header(name, value);
      });
      return this.checkKey(route, r, reply, key, found, done);
    }
    const group = valid ? route.group : 'anonymous';
    this.limiter.hit(group, valid ? `k:${valid.id}` : `ip:${req.ip}`).then(
      (hit) => {
        if (hit && 'blocked' in hit) {
          void reply.header('retry-after', hit.blocked.retryAfter);
          return refuse(req, reply, tooManyRequests());
        }
        if (hit)
          void reply
            .header('ratelimit-limit', hit.limit)
            .header('ratelimit-remaining', hit.remaining)
            .header('ratelimit-reset', hit.reset);
        this.checkKey(route, r, reply, key, found, done);
      },
      (err: Error) => refuse(req, reply, err),
    );
  }

  private checkKey(
    route: RouteAuth,
    req: AuthedRequest,
    reply: FastifyReply,
    key: unknown,
    found: KeyIdentity | typeof EXPIRED | undefined,
    done: (err?: Error) => void,
  ): void {
    if (route.isPublic) return done();
    const err = refusal(route, key, found);
    if (err) return refuse(req, reply, err);
    done();
  }
}

/** Answers a refused request in the common error shape (or a compat route's own body). */
function refuse(req: FastifyRequest, reply: FastifyReply, err: unknown): void {
  const { status, body } = toErrorBody(err, req.id);
  void reply.code(status).send(body);
}
