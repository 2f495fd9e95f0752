import { register, Registry } from 'prom-client';
import { TRACING } from './tracing/spans';

/** One answer of the metrics endpoint, whichever listener serves it. */
export type Exposition =
  { ok: true; contentType: string; body: string } | { ok: false; message: string };

/**
 * Prometheus text for the whole registry, or only the named families (`?name=`, repeatable): a
 * full scrape costs ~3 ms of CPU and runs every scrape-time collector, too much for a script or
 * probe that polls one counter often. An unknown family is refused (the caller answers 400).
 */
export async function exposition(name?: string | string[], accept?: string): Promise<Exposition> {
  if (name === undefined && TRACING)
    return scrapes.run(async () =>
      accept?.includes('application/openmetrics-text')
        ? { ok: true, contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await openMetrics() }
        : { ok: true, contentType: register.contentType, body: await register.metrics() },
    );
  if (name === undefined)
    return { ok: true, contentType: register.contentType, body: await register.metrics() };
  const names = [name].flat();
  const unknown = names.filter((n) => !register.getSingleMetric(n));
  if (unknown.length) return { ok: false, message: `Unknown metric family: ${unknown.join(', ')}` };
  const texts = await Promise.all(names.map((n) => register.getSingleMetricAsString(n)));
  return { ok: true, contentType: register.contentType, body: `${texts.join('\n')}\n` };
}

/**
 * OpenMetrics, the format that carries exemplars (trace ids on http_request_duration_seconds),
 * for a scraper that asks for it, and only with tracing on (off, the plain text as before).
 * prom-client renders a registry in one format, so the same metric objects are rendered through
 * an OpenMetrics registry; that rendering renames counters (drops `_total`) while it runs, so
 * with tracing on full scrapes are serialised and the names restored after.
 */
async function openMetrics(): Promise<string> {
  const metrics = register.getMetricsAsArray();
  const names = metrics.map((m) => m.name);
  const om = new (Registry as unknown as new (type: string) => Registry)(
    Registry.OPENMETRICS_CONTENT_TYPE,
  );
  for (const m of metrics) om.registerMetric(m as never);
  try {
    return await om.metrics();
  } finally {
    metrics.forEach((m, i) => ((m as { name: string }).name = names[i]));
  }
}

/** One full scrape at a time (tracing on only: see openMetrics). */
const scrapes = {
  last: Promise.resolve() as Promise<unknown>,
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.last.then(fn, fn);
    this.last = next.catch(() => undefined);
    return next;
  },
};
