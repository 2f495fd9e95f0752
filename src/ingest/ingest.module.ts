import { Module, type DynamicModule } from '@nestjs/common';
import { roleModule } from '../common/modules/role-module';
import type { AppRole } from '../config';
import { DeadLettersService } from './dead-letters.service';
import { IngestConsumer } from './ingest.consumer';
import { IngestController } from './ingest.controller';
import { IngestMetrics } from './ingest.metrics';
import { IngestProcessor } from './ingest.processor';
import { IngestProvisioning } from './ingest.provisioning';
import { IngestQueues } from './ingest.queues';
import { IngestRepository } from './ingest.repository';
import { IngestService } from './ingest.service';

/** What every role has: provisioning, the queue/table access and IngestService. */
@Module({
  providers: [
    IngestProvisioning,
    IngestQueues,
    IngestRepository,
    IngestMetrics,
    IngestService,
    DeadLettersService,
  ],
  exports: [IngestQueues, IngestRepository, IngestMetrics, IngestService, DeadLettersService],
})
export class IngestCoreModule {}

/** SQS → DynamoDB ingest: the API queues (api, all), the consumer stores (worker, all). */
@Module({})
export class IngestModule {
  static forRole(role: AppRole): DynamicModule {
    return roleModule(IngestModule, role, {
      core: IngestCoreModule,
      controllers: [IngestController],
      workers: [IngestProcessor, IngestConsumer],
    });
  }
}
