const examples = new Map<string, object>();

/** The OpenAPI extension that marks a body with rules across its fields. */
export const CROSS_FIELD_EXTENSION = 'x-cross-field-rules';

/**
 * A request body whose validity has rules across fields (exactly one of two fields, an end after
 * a start) that its description states but its JSON Schema does not. The document carries the
 * extension and a valid example; the contract test builds valid bodies from that example.
 */
export const CrossFieldRules =
  (example: object): ClassDecorator =>
  (target) => {
    examples.set(target.name, example);
  };

/** Marks the schemas of classes decorated with CrossFieldRules (swagger post-processing). */
export function markCrossFieldSchemas(schemas: Record<string, object>): void {
  for (const [name, example] of examples) {
    const schema = schemas[name] as Record<string, unknown> | undefined;
    if (!schema) continue;
    schema[CROSS_FIELD_EXTENSION] = true;
    schema.example = example;
  }
}
