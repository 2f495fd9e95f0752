import { ConfigError } from './env.schema';
import { ingestConfig } from './ingest.config';

describe('ingestConfig', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // Jest's e2e global setup exports the embedded stack's INGEST_* to every worker.
    for (const key of Object.keys(process.env))
      if (key.startsWith('INGEST_')) delete process.env[key];
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('has defaults for every number', () => {
    expect(ingestConfig()).toMatchObject({
      consumers: 8,
      receiveBatch: 10,
      maxMessageBytes: 262144,
      packMaxMessages: 100,
      autoProvision: false,
      retryMaxAttempts: 20,
      retryMaxMs: 60_000,
      adminDeadlineMs: 10_000,
    });
  });

  it('refuses a heartbeat that is not shorter than the visibility timeout, naming the variable', () => {
    Object.assign(process.env, {
      INGEST_VISIBILITY_TIMEOUT_SECONDS: '10',
      INGEST_HEARTBEAT_SECONDS: '10',
    });
    expect(() => ingestConfig()).toThrow(ConfigError);
    expect(() => ingestConfig()).toThrow(/INGEST_HEARTBEAT_SECONDS/);
  });

  it.each(['0', '101'])('refuses INGEST_PACK_MAX_MESSAGES=%s', (value) => {
    process.env.INGEST_PACK_MAX_MESSAGES = value;
    expect(() => ingestConfig()).toThrow(/INGEST_PACK_MAX_MESSAGES/);
  });

  it('refuses a receive batch above SQS’s 10', () => {
    process.env.INGEST_RECEIVE_BATCH = '11';
    expect(() => ingestConfig()).toThrow(/INGEST_RECEIVE_BATCH/);
  });
});
