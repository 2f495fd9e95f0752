/** The shared fail-fast ioredis client for request paths. */
export const REDIS = Symbol('REDIS');
