import { Module, type DynamicModule } from '@nestjs/common';
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

/**
 * What every role has: provisioning, the queue/table access and IngestService. Static, so that
 * compat and IngestModule share one instance.
 */
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
    const servesApi = role !== 'worker';
    const runsWorkers = role !== 'api';
    return {
      module: IngestModule,
      imports: [IngestCoreModule],
      controllers: servesApi ? [IngestController] : [],
      providers: runsWorkers ? [IngestProcessor, IngestConsumer] : [],
      exports: [IngestCoreModule],
    };
  }
}
