export * from './kubernetes.tokens';
export * from './kube-config.factory';
export * from './kubernetes.module';
