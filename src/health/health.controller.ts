import { Controller, Get, HttpException, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth/public.decorator';
import { SkipRateLimit } from '../common/rate-limit/rate-limit-group.decorator';
import { ShutdownState } from '../common/lifecycle/shutdown.state';
import { ingestConfig, type IngestConfig } from '../config';
import { DynamoDbHealth } from './indicators/dynamodb.health';
import { KubernetesHealth } from './indicators/kubernetes.health';
import { RedisHealth } from './indicators/redis.health';
import { SqsHealth } from './indicators/sqs.health';

@ApiTags('health')
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly shutdown: ShutdownState,
    private readonly redis: RedisHealth,
    private readonly sqs: SqsHealth,
    private readonly dynamodb: DynamoDbHealth,
    private readonly kubernetes: KubernetesHealth,
    @Inject(ingestConfig.KEY) private readonly ingest: IngestConfig,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (no dependency is checked)' })
  @ApiOkResponse({ description: 'The process is alive' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: every enabled dependency answers within its timeout' })
  @ApiOkResponse({ description: 'Ready for traffic' })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down, or the process is draining',
  })
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    if (this.shutdown.isDraining) {
      void reply.status(503);
      return {
        status: 'error',
        info: {},
        error: { shutdown: { status: 'down', message: 'draining' } },
        details: {},
      };
    }
    return this.run(reply);
  }

  @Get()
  @ApiOperation({ summary: 'Details of every dependency check (same checks as readiness)' })
  details(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.run(reply);
  }

  private async run(reply: FastifyReply) {
    try {
      return await this.health.check(this.checks());
    } catch (e) {
      // Terminus throws 503 with its own body; probes and people both want that body as it is.
      if (!(e instanceof HttpException)) throw e;
      void reply.status(e.getStatus());
      return e.getResponse();
    }
  }

  private checks(): HealthIndicatorFunction[] {
    const checks: HealthIndicatorFunction[] = [() => this.redis.check()];
    if (this.ingest.enabled)
      checks.push(
        () => this.sqs.check(),
        () => this.dynamodb.check(),
      );
    if (this.kubernetes.enabled) checks.push(() => this.kubernetes.check());
    return checks;
  }
}
