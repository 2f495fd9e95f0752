import { registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { ConfigError, parseEnv, toBool } from './env.schema';

/** Variables of the SQS → DynamoDB ingest pipeline (docs/ingest.md lists them). */
export class IngestEnv {
  @Transform(toBool) @IsBoolean() INGEST_ENABLED = true;
  /** Create queue, DLQ (with redrive policy) and table at start when missing: local runs and tests. */
  @Transform(toBool) @IsBoolean() INGEST_AUTO_PROVISION = false;
  @Matches(/^[A-Za-z0-9_-]{1,80}$/, { message: 'must be a valid SQS queue name' })
  INGEST_QUEUE_NAME = 'platform-ingest';
  @Matches(/^[A-Za-z0-9_-]{1,80}$/, { message: 'must be a valid SQS queue name' })
  INGEST_DLQ_NAME = 'platform-ingest-dlq';
  @Matches(/^[A-Za-z0-9_.-]{3,255}$/, { message: 'must be a valid DynamoDB table name' })
  INGEST_TABLE_NAME = 'platform-ingest';
  @IsInt() @Min(1) @Max(1000) INGEST_MAX_RECEIVE_COUNT = 5;

  @IsInt() @Min(1024) @Max(1024 * 1024) INGEST_MAX_MESSAGE_BYTES = 256 * 1024;
  /** Ingest messages per SQS message (a pack): SQS costs CPU and money per request. 1 = no packing. */
  @IsInt() @Min(1) @Max(100) INGEST_PACK_MAX_MESSAGES = 100;
  /** SQS's limit on one SendMessageBatch (256 KiB classic; raise to 1 MiB where the queue allows it). */
  @IsInt() @Min(1024) @Max(1024 * 1024) INGEST_SEND_BATCH_BYTES = 256 * 1024;
  @IsInt() @Min(1) @Max(10) INGEST_SEND_ATTEMPTS = 3;
  /** Time budget of one POST's sends; past it the rest is answered as not accepted (503). */
  @IsInt() @Min(100) @Max(30_000) INGEST_SEND_DEADLINE_MS = 1000;
  /**
   * Coalescing: small requests wait up to this long for others and are sent with them, in shared
   * packs and SendMessageBatch calls. 0 = off (every request sends on its own).
   */
  @IsInt() @Min(0) @Max(1000) INGEST_COALESCE_WINDOW_MS = 2;
  /** Messages (of all requests in the window) that close the window early: the batch is full. */
  @IsInt() @Min(1) @Max(10_000) INGEST_COALESCE_MAX_MESSAGES = 1000;
  /** Requests of at most this many messages are coalesced; larger ones are sent on their own. */
  @IsInt() @Min(1) @Max(100) INGEST_COALESCE_MAX_REQUEST_MESSAGES = 10;

  @IsInt() @Min(0) @Max(64) INGEST_CONSUMERS = 8;
  @IsInt() @Min(1) @Max(10) INGEST_RECEIVE_BATCH = 10;
  @IsInt() @Min(0) @Max(20) INGEST_WAIT_TIME_SECONDS = 20;
  @IsInt() @Min(1) @Max(43_200) INGEST_VISIBILITY_TIMEOUT_SECONDS = 30;
  @IsInt() @Min(1) @Max(43_199) INGEST_HEARTBEAT_SECONDS = 10;
  @IsInt() @Min(1) @Max(20) INGEST_WRITE_ATTEMPTS = 5;
  @IsInt() @Min(500) @Max(300_000) INGEST_QUEUE_DEPTH_CACHE_MS = 5000;
  /**
   * In-place store attempts of one received message while DynamoDB fails transiently (or with an
   * error nobody classified), and the time they may take: past either bound the message is
   * released and its receive count moves it towards the DLQ.
   */
  @IsInt() @Min(1) @Max(1000) INGEST_RETRY_MAX_ATTEMPTS = 20;
  @IsInt() @Min(100) @Max(3_600_000) INGEST_RETRY_MAX_MS = 60_000;
  /** Time budget of a dead-letter route (listing, redrive) before it answers with what it has, or 503. */
  @IsInt() @Min(500) @Max(25_000) INGEST_ADMIN_DEADLINE_MS = 10_000;
}

export const ingestConfig = registerAs('ingest', () => {
  const e = parseEnv(IngestEnv);
  if (e.INGEST_HEARTBEAT_SECONDS >= e.INGEST_VISIBILITY_TIMEOUT_SECONDS) {
    throw new ConfigError(
      'Invalid configuration: INGEST_HEARTBEAT_SECONDS must be less than INGEST_VISIBILITY_TIMEOUT_SECONDS',
    );
  }
  return {
    enabled: e.INGEST_ENABLED,
    autoProvision: e.INGEST_AUTO_PROVISION,
    queueName: e.INGEST_QUEUE_NAME,
    dlqName: e.INGEST_DLQ_NAME,
    tableName: e.INGEST_TABLE_NAME,
    maxReceiveCount: e.INGEST_MAX_RECEIVE_COUNT,
    maxMessageBytes: e.INGEST_MAX_MESSAGE_BYTES,
    packMaxMessages: e.INGEST_PACK_MAX_MESSAGES,
    sendBatchBytes: e.INGEST_SEND_BATCH_BYTES,
    sendAttempts: e.INGEST_SEND_ATTEMPTS,
    sendDeadlineMs: e.INGEST_SEND_DEADLINE_MS,
    coalesceWindowMs: e.INGEST_COALESCE_WINDOW_MS,
    coalesceMaxMessages: e.INGEST_COALESCE_MAX_MESSAGES,
    coalesceMaxRequestMessages: e.INGEST_COALESCE_MAX_REQUEST_MESSAGES,
    consumers: e.INGEST_CONSUMERS,
    receiveBatch: e.INGEST_RECEIVE_BATCH,
    waitTimeSeconds: e.INGEST_WAIT_TIME_SECONDS,
    visibilityTimeoutSeconds: e.INGEST_VISIBILITY_TIMEOUT_SECONDS,
    heartbeatSeconds: e.INGEST_HEARTBEAT_SECONDS,
    writeAttempts: e.INGEST_WRITE_ATTEMPTS,
    queueDepthCacheMs: e.INGEST_QUEUE_DEPTH_CACHE_MS,
    retryMaxAttempts: e.INGEST_RETRY_MAX_ATTEMPTS,
    retryMaxMs: e.INGEST_RETRY_MAX_MS,
    adminDeadlineMs: e.INGEST_ADMIN_DEADLINE_MS,
  };
});
export type IngestConfig = ReturnType<typeof ingestConfig>;
