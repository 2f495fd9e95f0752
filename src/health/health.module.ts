import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { DynamoDbHealth } from './indicators/dynamodb.health';
import { KubernetesHealth } from './indicators/kubernetes.health';
import { RedisHealth } from './indicators/redis.health';
import { SqsHealth } from './indicators/sqs.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [RedisHealth, SqsHealth, DynamoDbHealth, KubernetesHealth],
})
export class HealthModule {}
