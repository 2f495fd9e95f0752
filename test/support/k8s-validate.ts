/**
 * Validates Kubernetes objects against the schemas shipped in kubernetes-models (core API) and
 * @kubernetes-models/{prometheus-operator,keda} (CRDs). Run as a child process with Node's type
 * stripping (those packages are ESM-only): JSON array of objects on stdin, JSON array of
 * `{ kind, name, errors }` on stdout. An apiVersion/kind with no known schema is an error too.
 */
import { readFileSync } from 'node:fs';

interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
}
interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

const CRD_PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
  'external-secrets.io': '@kubernetes-models/external-secrets',
};

function modulePath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (CRD_PACKAGES[group]) return `${CRD_PACKAGES[group]}/${group}/${version}/${kind}`;
  // Core group objects live under kubernetes-models/v1; named groups under their group name.
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

async function validate(obj: K8sObject): Promise<string[]> {
  if (!obj.apiVersion || !obj.kind) return ['apiVersion and kind are required'];
  let Model: ModelClass;
  try {
    const mod = (await import(modulePath(obj.apiVersion, obj.kind))) as Record<string, ModelClass>;
    Model = mod[obj.kind];
    if (!Model) throw new Error('no export');
  } catch {
    return [`no schema known for ${obj.apiVersion} ${obj.kind}`];
  }
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

async function main(): Promise<void> {
  const objects = JSON.parse(readFileSync(0, 'utf8')) as K8sObject[];
  const results = await Promise.all(
    objects.map(async (o) => ({ kind: o.kind, name: o.metadata?.name, errors: await validate(o) })),
  );
  process.stdout.write(JSON.stringify(results));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
