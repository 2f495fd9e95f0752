import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  register,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * Metrics live in prom-client's default registry, which outlives a Nest app (tests create
 * several); these helpers reuse a metric that already exists instead of throwing on the name.
 */
const reuse = <T>(name: string, make: () => T): T =>
  (register.getSingleMetric(name) as T) ?? make();

export const counter = <L extends string>(cfg: CounterConfiguration<L>) =>
  reuse(cfg.name, () => new Counter<L>(cfg));
export const gauge = <L extends string>(cfg: GaugeConfiguration<L>) =>
  reuse(cfg.name, () => new Gauge<L>(cfg));
export const histogram = <L extends string>(cfg: HistogramConfiguration<L>) =>
  reuse(cfg.name, () => new Histogram<L>(cfg));

/**
 * A histogram that keeps exemplars. prom-client refuses those on a Prometheus-format registry,
 * so it is built unregistered and then added to the default one: the plain text ignores
 * exemplars, an OpenMetrics rendering (metrics.controller.ts) shows them.
 */
export const histogramWithExemplars = <L extends string>(cfg: HistogramConfiguration<L>) =>
  reuse(cfg.name, () => {
    const h = new Histogram<L>({ ...cfg, enableExemplars: true, registers: [] });
    register.registerMetric(h);
    return h;
  });

export function ensureDefaultMetrics(): void {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}

type Collector<L extends string> = (gauge: Gauge<L>) => Promise<void>;
const collectors = new Map<string, Set<Collector<string>>>();

/**
 * A gauge filled at scrape time by collectors that live apps register (and remove on shutdown).
 * The gauge is reused across apps like every metric here, so its `collect` must not close over
 * the first app that created it: it calls whatever collectors are registered now, in order.
 */
export function scrapedGauge<L extends string>(cfg: Omit<GaugeConfiguration<L>, 'collect'>) {
  const live = collectors.get(cfg.name) ?? new Set();
  collectors.set(cfg.name, live);
  const g = gauge<L>({
    ...cfg,
    async collect() {
      for (const c of live) await c(this as Gauge<L>);
    },
  });
  return {
    gauge: g,
    /** Registers a collector; the returned function removes it. */
    collectWith(c: Collector<L>): () => void {
      live.add(c as Collector<string>);
      return () => live.delete(c as Collector<string>);
    },
  };
}
