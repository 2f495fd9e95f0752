import { readFileSync } from 'node:fs';
import { registerAs } from '@nestjs/config';
import { IsString, MaxLength } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseEnv } from './env.schema';

/** An external type name (`reports.pdf`) or pattern (`billing.*`), as in TASKS_EXTERNAL_TYPES. */
const TYPE_KEY = /^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}|[A-Za-z0-9_-][A-Za-z0-9_.-]{0,60}\.\*)$/;

/** Payload schemas of external task types (docs/tasks.md, "Payload schemas"). */
export class TaskSchemasEnv {
  /**
   * A JSON or YAML file: `{ "<type or prefix.*>": <JSON Schema of the payload> }`. Empty: payloads
   * of external types are any JSON.
   */
  @IsString() @MaxLength(4096) TASKS_EXTERNAL_SCHEMAS_FILE = '';
}

const fail = (problem: string): never => {
  throw new ConfigError(`Invalid configuration: TASKS_EXTERNAL_SCHEMAS_FILE ${problem}`);
};

/** The file's mapping, checked for shape; the schemas themselves are compiled by tasks at start. */
export function readTaskSchemas(path: string): Record<string, object | boolean> {
  if (!path) return {};
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    fail(`is not valid YAML/JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    fail('must map task types (names or prefix.* patterns) to JSON Schemas');
  const out: Record<string, object | boolean> = {};
  for (const [key, schema] of Object.entries(doc as Record<string, unknown>)) {
    if (!TYPE_KEY.test(key))
      fail(`${JSON.stringify(key)} is not a task type name nor a prefix.* pattern`);
    if (
      typeof schema !== 'boolean' &&
      (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    )
      fail(`${key}: the schema must be a JSON Schema object`);
    out[key] = schema as object | boolean;
  }
  return out;
}

export const taskSchemasConfig = registerAs('taskSchemas', () => {
  const e = parseEnv(TaskSchemasEnv);
  return {
    file: e.TASKS_EXTERNAL_SCHEMAS_FILE,
    schemas: readTaskSchemas(e.TASKS_EXTERNAL_SCHEMAS_FILE),
  };
});
export type TaskSchemasConfig = ReturnType<typeof taskSchemasConfig>;
