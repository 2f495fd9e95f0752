/**
 * Options for an `@ApiProperty` that holds any JSON value, null included (a task's payload,
 * progress, result). An empty schema says exactly that; `type: Object` (what `unknown` reflects
 * as) would promise an object and make clients reject `0` or `null`. swagger.ts removes the
 * `type` Nest adds from the reflected type when it sees this marker.
 */
export const ANY_JSON_MARKER = 'x-any-json';
export const ANY_JSON = { [ANY_JSON_MARKER]: true } as Record<string, unknown>;
