import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '../../common/errors/error-body';
import { validationFailed } from '../../common/errors/validation';
import { ConfigError } from '../../config';
import type { ExternalTypes } from './external-types';

/** Where an Ajv error points, as a field path under `payload` (`payload.items.0.sku`). */
function fieldOf(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const p = e.params as { missingProperty?: string; additionalProperty?: string };
  if (e.keyword === 'required' && p.missingProperty) path.push(p.missingProperty);
  if (e.keyword === 'additionalProperties' && p.additionalProperty) path.push(p.additionalProperty);
  return ['payload', ...path].join('.');
}

/** Ajv's errors as the common 400's `errors`, one entry per field. */
export function payloadFieldErrors(errors: ErrorObject[]): FieldError[] {
  const byField = new Map<string, string[]>();
  for (const e of errors) {
    const field = fieldOf(e);
    const list = byField.get(field) ?? [];
    list.push(`${field} ${e.message ?? 'is invalid'}`);
    byField.set(field, list);
  }
  return [...byField].map(([field, messages]) => ({ field, messages }));
}

/**
 * The JSON Schemas of external types' payloads (TASKS_EXTERNAL_SCHEMAS_FILE), compiled once at
 * start with Ajv (the validator Fastify itself uses): an exact type name first, else the longest
 * matching `prefix.*`. A schema that does not compile, or a key that is not an external type,
 * stops the app at start.
 */
export class ExternalSchemas {
  private readonly exact = new Map<string, ValidateFunction>();
  private readonly prefixes: Array<[string, ValidateFunction]> = [];

  constructor(schemas: Record<string, object | boolean>, types: ExternalTypes) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const [key, schema] of Object.entries(schemas)) {
      const pattern = key.endsWith('.*');
      // `billing.eu.*` is covered by `billing.*`: some type under it must be external.
      if (!types.matches(pattern ? `${key.slice(0, -1)}x` : key))
        throw new ConfigError(
          `Invalid configuration: TASKS_EXTERNAL_SCHEMAS_FILE ${key} is not an external type of TASKS_EXTERNAL_TYPES (${types.declared.join(', ') || 'none'})`,
        );
      let fn: ValidateFunction;
      try {
        fn = ajv.compile(schema);
      } catch (e) {
        throw new ConfigError(
          `Invalid configuration: TASKS_EXTERNAL_SCHEMAS_FILE ${key}: ${(e as Error).message}`,
        );
      }
      if (pattern) this.prefixes.push([key.slice(0, -1), fn]);
      else this.exact.set(key, fn);
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  get size(): number {
    return this.exact.size + this.prefixes.length;
  }

  validatorFor(type: string): ValidateFunction | undefined {
    return this.exact.get(type) ?? this.prefixes.find(([p]) => type.startsWith(p))?.[1];
  }

  /** The payload, or a 400 naming each bad field (`payload.<path>`). */
  check(type: string, payload: unknown): unknown {
    const validate = this.validatorFor(type);
    if (validate && !validate(payload ?? null))
      throw validationFailed(payloadFieldErrors(validate.errors ?? []));
    return payload ?? null;
  }
}
