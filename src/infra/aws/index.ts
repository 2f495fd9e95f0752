export * from './aws.tokens';
export * from './aws.module';
export * from './aws-errors';
export * from './http-handler';
