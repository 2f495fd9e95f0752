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
const reuse = <T>(name: string, make: () => T): T => (register.getSingleMetric(name) as T) ?? make();

export const counter = <L extends string>(cfg: CounterConfiguration<L>) => reuse(cfg.name, () => new Counter<L>(cfg));
export const gauge = <L extends string>(cfg: GaugeConfiguration<L>) => reuse(cfg.name, () => new Gauge<L>(cfg));
export const histogram = <L extends string>(cfg: HistogramConfiguration<L>) =>
  reuse(cfg.name, () => new Histogram<L>(cfg));

export function ensureDefaultMetrics(): void {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}
