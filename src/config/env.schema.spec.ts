import { ConfigError, parseEnv, validateEnv } from './env.schema';

describe('validateEnv', () => {
  it('applies defaults when variables are unset or empty', () => {
    const env = validateEnv({ PORT: '', APP_ROLE: undefined });
    expect(env).toMatchObject({
      PORT: 3000,
      APP_ROLE: 'all',
      LOG_REQUESTS: true,
      BODY_LIMIT_BYTES: 1048576,
      K8S_AUTH: 'disabled',
    });
  });

  it('converts numbers and booleans', () => {
    expect(validateEnv({ PORT: '8080', LOG_REQUESTS: 'false' })).toMatchObject({
      PORT: 8080,
      LOG_REQUESTS: false,
    });
    expect(validateEnv({ LOG_REQUESTS: '0' }).LOG_REQUESTS).toBe(false);
    expect(validateEnv({ LOG_REQUESTS: 'TRUE' }).LOG_REQUESTS).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ APP_ROLE: 'both' }, /^Invalid configuration: APP_ROLE /],
    [
      { REDIS_URL: 'http://x' },
      /^Invalid configuration: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/,
    ],
    [{ LOG_REQUESTS: 'maybe' }, /^Invalid configuration: LOG_REQUESTS /],
    [{ K8S_AUTH: 'magic' }, /^Invalid configuration: K8S_AUTH /],
  ])('rejects %j with one line naming the variable', (raw, message) => {
    expect(() => validateEnv(raw)).toThrow(ConfigError);
    expect(() => validateEnv(raw)).toThrow(message);
    try {
      validateEnv(raw);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('validates any schema class with the same rules', () => {
    class Feature {
      TIMEOUT_MS = 10;
    }
    expect(parseEnv(Feature, { TIMEOUT_MS: '25' }).TIMEOUT_MS).toBe(25);
  });
});
