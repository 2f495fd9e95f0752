import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { run, tool } from './tools';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'helm', 'platform-api');
export const RELEASE = 'rel';

/** A rendered Kubernetes object, loosely typed: tests reach into it by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Loose };
  [k: string]: Loose;
};

export const helm = (args: string[]) => run(tool('helm'), args, { cwd: ROOT });

/** `helm template` with a ci/ values file and extra flags; throws with helm's stderr on failure. */
export function render(valuesFile?: string, extra: string[] = []): K8sObject[] {
  const args = ['template', RELEASE, CHART, '--namespace', 'apps'];
  if (valuesFile) args.push('-f', join(CHART, 'ci', valuesFile));
  const r = helm([...args, ...extra]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** helm's error text when rendering must fail, or throws when it unexpectedly succeeds. */
export function renderError(extra: string[]): string {
  const r = helm(['template', RELEASE, CHART, ...extra]);
  if (r.status === 0) throw new Error(`helm template succeeded with ${extra.join(' ')}`);
  return r.stderr;
}

export const find = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

export function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

export interface SchemaResult {
  kind: string;
  name: string;
  errors: string[];
}

/** Validates objects against the Kubernetes and CRD schemas (see k8s-validate.ts). */
export function validateObjects(objects: object[]): SchemaResult[] {
  const r = run(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', join(__dirname, 'k8s-validate.ts')],
    { input: JSON.stringify(objects), cwd: ROOT },
  );
  if (r.status !== 0) throw new Error(`k8s-validate failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as SchemaResult[];
}
