export * from './redis.tokens';
export * from './redis.errors';
export * from './redis.factory';
export * from './redis.module';
export * from './bullmq.connection';
export * from './bullmq.module';
export * from './redis.deadline';
export * from './replica-wait';
export { afterPendingIo } from './loop-stall';
