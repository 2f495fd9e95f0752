export { IngestModule, IngestCoreModule } from './ingest.module';
export { IngestService, type NewMessage } from './ingest.service';
