/**
 * SQS accepts in a message body only #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and
 * #x10000-#x10FFFF (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * JSON.stringify escapes the control characters below #x20 and (since ES2019) lone surrogates,
 * but writes U+FFFE and U+FFFF as they are: SQS then refuses the whole send, which no retry can
 * fix. Lone surrogates pass SQS escaped, but are not Unicode text: DynamoDB cannot store them
 * as a string. Both are refused at the API, naming the field.
 */
const FORBIDDEN_SOURCE =
  /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const FORBIDDEN = new RegExp(FORBIDDEN_SOURCE.source);
const FORBIDDEN_ALL = new RegExp(FORBIDDEN_SOURCE.source, 'g');

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why SQS or DynamoDB would refuse this string, or undefined when it is fine. */
export function badCharacters(s: string): string | undefined {
  const m = FORBIDDEN.exec(s);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0);
  return code >= 0xfffe
    ? `contains ${hex(code)}, a character SQS does not accept`
    : `contains a lone surrogate (${hex(code)}), which is not valid Unicode text`;
}

/** The string with each refused character written as `\uXXXX`, to name a key in a field path. */
export const escapeBadCharacters = (s: string): string =>
  s.replace(FORBIDDEN_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
