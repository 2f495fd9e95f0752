export * from './aws.tokens';
export * from './aws.module';
