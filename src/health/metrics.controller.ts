import { SkipThrottle } from '@nestjs/throttler';
import { BadRequestException, Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { Public } from '../common/auth/public.decorator';

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
  ) {
    if (name === undefined) return super.index(response);
    const names = [name].flat();
    const unknown = names.filter((n) => !register.getSingleMetric(n));
    if (unknown.length)
      throw new BadRequestException(`Unknown metric family: ${unknown.join(', ')}`);
    const texts = await Promise.all(names.map((n) => register.getSingleMetricAsString(n)));
    void response.header('content-type', register.contentType);
    return `${texts.join('\n')}\n`;
  }
}
