import {
  BadRequestException,
  Controller,
  Get,
  Headers,
  Inject,
  NotFoundException,
  Query,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { appConfig, type AppConfig } from '../config';
import { Public } from '../common/auth/public.decorator';
import { SkipRateLimit } from '../common/rate-limit/rate-limit-group.decorator';
import { exposition } from '../observability/metrics-exposition';

/**
 * Prometheus text at /metrics (the plain format, not JSON-wrapped as ephemeral-backend did), on
 * PORT only while METRICS_PORT is 0: with a metrics port (the chart sets one) this route is a 404
 * like any unknown path, so nothing that reaches PORT (the Ingress) can read metrics.
 */
@Public()
@ApiExcludeController()
@SkipRateLimit()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(@Inject(appConfig.KEY) private readonly app: AppConfig) {
    super();
  }

  @Get()
  override async index(
    @Res({ passthrough: true }) response: FastifyReply,
    @Query('name') name?: string | string[],
    @Headers('accept') accept?: string,
  ) {
    if (this.app.metricsPort !== 0) throw new NotFoundException('Cannot GET /metrics');
    const answer = await exposition(name, accept);
    if (!answer.ok) throw new BadRequestException(answer.message);
    void response.header('content-type', answer.contentType);
    return answer.body;
  }
}
