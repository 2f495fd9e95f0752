import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './support/chart';
import { run, tool } from './support/tools';

/**
 * deploy/terraform: formatted, valid (the AWS provider from a local mirror when the machine has
 * one, as these do; setup-terraform's registry download in GitHub Actions), and a role policy that
 * grants exactly the AWS actions the code sends: neither can drift from the other.
 */
const TF = join(ROOT, 'deploy', 'terraform');
const ROOTS = ['modules/platform-api', 'examples/complete'];

/** A local provider mirror (folder holding registry.terraform.io), or undefined to use the registry. */
function pluginDir(): string | undefined {
  const candidates = [
    process.env.TF_PLUGIN_DIR,
    '/opt/tf-plugins',
    join(homedir(), '.terraform.d', 'plugins'),
  ];
  return candidates.find((d) => d && existsSync(join(d, 'registry.terraform.io')));
}

const terraform = (args: string[], cwd: string) =>
  run(tool('terraform'), args, {
    cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
  });

/** A copy of deploy/terraform (init writes .terraform/ and a lock file), initialised. */
function initialisedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'platform-api-tf-'));
  cpSync(TF, dir, { recursive: true, filter: (src) => !src.includes('.terraform') });
  const plugins = pluginDir();
  for (const r of ROOTS) {
    const init = terraform(
      [
        'init',
        '-backend=false',
        '-input=false',
        '-no-color',
        ...(plugins ? [`-plugin-dir=${plugins}`] : []),
      ],
      join(dir, r),
    );
    if (init.status !== 0)
      throw new Error(`terraform init in ${r} failed: ${init.stdout}${init.stderr}`);
  }
  return dir;
}

interface Validation {
  valid: boolean;
  error_count: number;
  diagnostics: { severity: string; summary: string; detail?: string }[];
}
const validate = (cwd: string): Validation =>
  JSON.parse(terraform(['validate', '-json', '-no-color'], cwd).stdout) as Validation;

describe('Terraform (deploy/terraform)', () => {
  let copy: string;
  beforeAll(() => {
    copy = initialisedCopy();
  }, 120_000);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('is formatted (terraform fmt -check), and the check can fail', () => {
    const r = terraform(['fmt', '-check', '-recursive', '-no-color'], TF);
    // stdout lists unformatted files (stderr may warn that no CLI config file exists).
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
    const bad = mkdtempSync(join(tmpdir(), 'platform-api-tf-fmt-'));
    try {
      writeFileSync(join(bad, 'x.tf'), 'locals {\na = 1\n  bb   = 2\n}\n');
      expect(terraform(['fmt', '-check', '-no-color'], bad).status).not.toBe(0);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it.each(ROOTS)('validates %s', (r) => {
    const v = validate(join(copy, r));
    expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(v.valid).toBe(true);
  });

  it('validate catches a broken reference (it can fail)', () => {
    const main = join(copy, 'examples/complete/outputs.tf');
    const saved = readFileSync(main, 'utf8');
    try {
      writeFileSync(
        main,
        `${saved}\noutput "broken" {\n  value = module.platform_api.no_such_output\n}\n`,
      );
      const v = validate(join(copy, 'examples/complete'));
      expect(v.valid).toBe(false);
      expect(JSON.stringify(v.diagnostics)).toMatch(/no_such_output/);
    } finally {
      writeFileSync(main, saved);
    }
  });
});

// --- the role's policy against the SDK commands the code sends ----------------------------------

/** `new XxxCommand(...)` of an AWS SDK client in a source file, with the SDK package it came from. */
function sdkCommands(file: string): { command: string; pkg: string }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const origin = new Map<string, string>();
  const found: { command: string; pkg: string }[] = [];
  const visit = (node: ts.Node) => {
    // import { XCommand } from '@aws-sdk/client-sqs'
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const bindings = node.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) origin.set(el.name.text, node.moduleSpecifier.text);
    }
    // const { XCommand } = await import('@aws-sdk/client-eks')
    if (
      ts.isVariableDeclaration(node) &&
      ts.isObjectBindingPattern(node.name) &&
      node.initializer
    ) {
      const init = ts.isAwaitExpression(node.initializer)
        ? node.initializer.expression
        : node.initializer;
      if (
        ts.isCallExpression(init) &&
        init.expression.kind === ts.SyntaxKind.ImportKeyword &&
        ts.isStringLiteral(init.arguments[0])
      ) {
        const pkg = init.arguments[0].text;
        for (const el of node.name.elements)
          if (ts.isIdentifier(el.name)) origin.set(el.name.text, pkg);
      }
    }
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text.endsWith('Command')
    )
      found.push({ command: node.expression.text, pkg: '' });
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found.map((f) => ({ ...f, pkg: origin.get(f.command) ?? '?' }));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const SERVICE: Record<string, string> = {
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-eks': 'eks',
};
/** lib-dynamodb's document commands are the client's item operations. */
const DOCUMENT: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
};

/** The IAM action a command needs: SQS batch APIs are authorised as their single-message action. */
function iamAction(command: string, pkg: string): string {
  const service = SERVICE[pkg];
  if (!service) throw new Error(`${command} from ${pkg}: unknown AWS SDK package`);
  let op = command.replace(/Command$/, '');
  if (pkg === '@aws-sdk/lib-dynamodb') op = DOCUMENT[op] ?? op;
  if (service === 'sqs') op = op.replace(/Batch$/, '');
  return `${service}:${op}`;
}

/**
 * Provisioning for local runs only (INGEST_AUTO_PROVISION): Terraform owns these resources in
 * production, so the role must not be able to create or reconfigure them.
 */
const LOCAL_ONLY_FILE = 'src/ingest/ingest.provisioner.ts';

describe('IAM policy (deploy/terraform) against the AWS SDK commands the code sends', () => {
  const actions = JSON.parse(
    readFileSync(join(TF, 'modules/platform-api/policy-actions.json'), 'utf8'),
  ) as Record<string, string[] | string>;
  const granted = new Set(
    Object.entries(actions)
      .filter(([k]) => !k.startsWith('_'))
      .flatMap(([, v]) => v as string[]),
  );
  const calls = sourceFiles(join(ROOT, 'src')).flatMap((f) =>
    sdkCommands(f).map((c) => ({ ...c, file: relative(ROOT, f) })),
  );

  it('finds the commands in the code, static and dynamic imports alike', () => {
    const names = new Set(calls.map((c) => c.command));
    for (const c of ['SendMessageBatchCommand', 'BatchWriteCommand', 'DescribeClusterCommand'])
      expect(names).toContain(c);
    expect(calls.filter((c) => c.pkg === '?')).toEqual([]);
  });

  it('grants exactly the actions of the commands sent at run time (src and sqs-consumer), no more', () => {
    const runtime = calls.filter((c) => c.file !== LOCAL_ONLY_FILE);
    // sqs-consumer receives, deletes and extends visibility for the app.
    const dist = join(ROOT, 'node_modules', 'sqs-consumer', 'dist');
    const library = readdirSync(dist, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(dist, f))
      .flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/new (?:\w+\.)?(\w+Command)\(/g)].map((m) => m[1]),
      );
    expect(new Set(library)).toEqual(
      new Set([
        'ReceiveMessageCommand',
        'DeleteMessageCommand',
        'DeleteMessageBatchCommand',
        'ChangeMessageVisibilityCommand',
        'ChangeMessageVisibilityBatchCommand',
      ]),
    );
    const needed = new Set([
      ...runtime.map((c) => iamAction(c.command, c.pkg)),
      ...library.map((c) => iamAction(c, '@aws-sdk/client-sqs')),
    ]);
    expect([...granted].sort()).toEqual([...needed].sort());
  });

  it('grants none of the provisioning actions (Terraform creates the queues and the table)', () => {
    const provisioning = calls
      .filter((c) => c.file === LOCAL_ONLY_FILE)
      .map((c) => iamAction(c.command, c.pkg));
    expect(provisioning).toEqual(
      expect.arrayContaining(['sqs:CreateQueue', 'sqs:SetQueueAttributes', 'dynamodb:CreateTable']),
    );
    for (const a of ['sqs:CreateQueue', 'sqs:SetQueueAttributes', 'dynamodb:CreateTable'])
      expect(granted).not.toContain(a);
  });

  it('scopes every statement to the resources it is about: no wildcard action or resource', () => {
    const iam = readFileSync(join(TF, 'modules/platform-api/iam.tf'), 'utf8');
    expect(iam).not.toMatch(/"\*"|:\*"/);
    for (const [key, ref] of [
      ['main_queue', 'aws_sqs_queue.main.arn'],
      ['dead_letter_queue', 'aws_sqs_queue.dlq.arn'],
      ['table', 'aws_dynamodb_table.ingest.arn'],
      ['eks_cluster', 'local.cluster_arn'],
    ]) {
      expect(iam).toMatch(
        new RegExp(
          `actions\\s*=\\s*local\\.actions\\.${key}\\s*\\n\\s*resources\\s*=\\s*\\[${ref.replaceAll('.', '\\.')}\\]`,
        ),
      );
    }
    // Send only to the main queue, move-task only from the DLQ.
    expect(actions.main_queue).toContain('sqs:SendMessage');
    expect(actions.dead_letter_queue).not.toContain('sqs:SendMessage');
    expect(actions.dead_letter_queue).toContain('sqs:StartMessageMoveTask');
  });
});
