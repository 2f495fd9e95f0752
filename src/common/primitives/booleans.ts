const WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  '0': false,
  no: false,
  off: false,
};

/**
 * The one reading of a boolean environment variable: true/1/yes/on and false/0/no/off, any case.
 * Anything else is returned as given, so the schema's `@IsBoolean()` names the variable.
 */
export function parseBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return WORDS[value.trim().toLowerCase()] ?? value;
}

/** `@Transform(toBool)` for class-transformer. */
export const toBool = ({ value }: { value: unknown }): unknown => parseBoolean(value);
