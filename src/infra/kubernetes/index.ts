export * from './kubernetes.tokens';
export * from './kube-config.factory';
export * from './kube-api';
export * from './eks-token';
export * from './kubernetes.module';
