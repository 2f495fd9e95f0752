import { ConfigError } from './env.schema';
import { eksConfig } from './eks.config';

describe('eksConfig: the per-namespace RoleBinding', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('K8S_')) delete process.env[key];
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('binds nothing by default', () => {
    expect(eksConfig().namespaceRoleBinding).toBeNull();
  });

  it('binds the ClusterRole to a ServiceAccount of its own namespace, or of the one named', () => {
    Object.assign(process.env, {
      K8S_SELF_NAMESPACE: 'apps',
      K8S_NAMESPACE_CLUSTER_ROLE: 'rel-platform-api-jobs',
      K8S_SERVICE_ACCOUNT: 'rel-platform-api',
    });
    expect(eksConfig().namespaceRoleBinding).toEqual({
      clusterRole: 'rel-platform-api-jobs',
      serviceAccount: { namespace: 'apps', name: 'rel-platform-api' },
    });
    process.env.K8S_SERVICE_ACCOUNT = 'other/sa';
    expect(eksConfig().namespaceRoleBinding?.serviceAccount).toEqual({
      namespace: 'other',
      name: 'sa',
    });
  });

  it('refuses a ClusterRole without a ServiceAccount, and malformed names, naming the variable', () => {
    process.env.K8S_NAMESPACE_CLUSTER_ROLE = 'rel-platform-api-jobs';
    expect(() => eksConfig()).toThrow(ConfigError);
    expect(() => eksConfig()).toThrow(/K8S_SERVICE_ACCOUNT is required/);
    process.env.K8S_SERVICE_ACCOUNT = 'Bad/Name/x';
    expect(() => eksConfig()).toThrow(/K8S_SERVICE_ACCOUNT/);
    process.env.K8S_SERVICE_ACCOUNT = 'sa';
    process.env.K8S_NAMESPACE_CLUSTER_ROLE = 'Not A Role';
    expect(() => eksConfig()).toThrow(/K8S_NAMESPACE_CLUSTER_ROLE/);
  });
});
