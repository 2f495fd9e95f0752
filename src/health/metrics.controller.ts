import { SkipThrottle } from '@nestjs/throttler';
import { BadRequestException, Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { register, Registry } from 'prom-client';
import { Public } from '../common/auth/public.decorator';
import { TRACING } from '../observability/tracing/spans';

/**
 * Prometheus text at /metrics (the plain format, not JSON-wrapped as ephemeral-backend did).
 * `?name=<family>` (repeatable) answers only those families: a full scrape costs ~3 ms of CPU and
 * runs every scrape-time collector, too much for a script or probe that polls one counter often.
 */
@Public()
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  override async index(
    @Res({ passthrough: true }) response: FastifyReply,
    @Query('name') name?: string | string[],
    @Headers('accept') accept?: string,
  ) {
    if (TRACING && name === undefined && accept?.includes('application/openmetrics-text'))
      return this.openMetrics(response);
    if (name === undefined)
      return TRACING ? scrapes.run(() => super.index(response)) : super.index(response);
    const names = [name].flat();
    const unknown = names.filter((n) => !register.getSingleMetric(n));
    if (unknown.length)
      throw new BadRequestException(`Unknown metric family: ${unknown.join(', ')}`);
    const texts = await Promise.all(names.map((n) => register.getSingleMetricAsString(n)));
    void response.header('content-type', register.contentType);
    return `${texts.join('\n')}\n`;
  }

  /**
   * OpenMetrics, the format that carries exemplars (trace ids on http_request_duration_seconds),
   * for a scraper that asks for it, and only with tracing on (off, the plain text as before).
   * prom-client renders a registry in one format, so the same metric objects are rendered through
   * an OpenMetrics registry; that rendering renames counters (drops `_total`) while it runs, so
   * scrapes are serialised and the names restored after.
   */
  private openMetrics(response: FastifyReply): Promise<string> {
    return scrapes.run(async () => {
      const metrics = register.getMetricsAsArray();
      const names = metrics.map((m) => m.name);
      const om = new (Registry as unknown as new (type: string) => Registry)(
        Registry.OPENMETRICS_CONTENT_TYPE,
      );
      for (const m of metrics) om.registerMetric(m as never);
      try {
        const text = await om.metrics();
        void response.header('content-type', Registry.OPENMETRICS_CONTENT_TYPE);
        return text;
      } finally {
        metrics.forEach((m, i) => ((m as { name: string }).name = names[i]));
      }
    });
  }
}

/** One scrape at a time (tracing on only: see openMetrics). */
const scrapes = {
  last: Promise.resolve() as Promise<unknown>,
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.last.then(fn, fn);
    this.last = next.catch(() => undefined);
    return next;
  },
};
