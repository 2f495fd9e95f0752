import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { DynamoDbHealth } from './indicators/dynamodb.health';
import { KubernetesHealth } from './indicators/kubernetes.health';
import { RedisHealth } from './indicators/redis.health';
import { SqsHealth } from './indicators/sqs.health';

@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    // /metrics: default metrics are registered by the observability module (ensureDefaultMetrics)
    // so a second app in one process (tests) does not collide on names.
    PrometheusModule.register({
      controller: MetricsController,
      defaultMetrics: { enabled: false },
    }),
  ],
  controllers: [HealthController],
  providers: [RedisHealth, SqsHealth, DynamoDbHealth, KubernetesHealth],
})
export class HealthModule {}
