import { register } from 'prom-client';

/** One answer of the metrics endpoint, whichever listener serves it. */
export type Exposition =
  { ok: true; contentType: string; body: string } | { ok: false; message: string };

/**
 * Prometheus text for the whole registry, or only the named families (`?name=`, repeatable): a
 * full scrape costs ~3 ms of CPU and runs every scrape-time collector, too much for a script or
 * probe that polls one counter often. An unknown family is refused (the caller answers 400).
 */
export async function exposition(name?: string | string[]): Promise<Exposition> {
  if (name === undefined)
    return { ok: true, contentType: register.contentType, body: await register.metrics() };
  const names = [name].flat();
  const unknown = names.filter((n) => !register.getSingleMetric(n));
  if (unknown.length) return { ok: false, message: `Unknown metric family: ${unknown.join(', ')}` };
  const texts = await Promise.all(names.map((n) => register.getSingleMetricAsString(n)));
  return { ok: true, contentType: register.contentType, body: `${texts.join('\n')}\n` };
}
