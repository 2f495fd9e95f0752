export * from './certs';
export * from './sigv4';
export * from './fake-kube';
