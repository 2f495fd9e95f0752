import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';

/**
 * Which methods each registered path answers, to turn "no route" into 405 + `Allow` when the
 * path exists under other methods (RFC 9110 §15.5.6). Built from Fastify's onRoute hook into a
 * second find-my-way router (the one Fastify itself uses, so paths match the same way), and only
 * consulted on the error path: the routes that exist pay nothing for it.
 */
@Injectable()
export class KnownRoutes {
  private readonly router = FindMyWay({ maxParamLength: 10_000 });
  private readonly methods = new Map<string, Set<string>>();

  /** Call before the routes are registered (before app.init()). */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let known = this.methods.get(route.url);
      if (!known) {
        known = new Set();
        this.methods.set(route.url, known);
        this.router.on('GET', route.url, () => undefined, { url: route.url });
      }
      for (const m of methods) known.add(m.toUpperCase());
      if (known.has('GET')) known.add('HEAD'); // Fastify exposes HEAD for every GET route
    });
  }

  /** The methods the path answers, sorted; empty when no route has this path. */
  allowed(url: string): string[] {
    const q = url.indexOf('?');
    const found = this.router.find('GET', q === -1 ? url : url.slice(0, q));
    const store = found?.store as { url?: string } | undefined;
    const methods = store?.url ? this.methods.get(store.url) : undefined;
    return methods ? [...methods].sort() : [];
  }
}
