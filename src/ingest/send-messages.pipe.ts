import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { validationPipe } from '../common/errors/validation';
import { isPlainObject } from '../common/primitives/objects';
import { MAX_MESSAGES_PER_REQUEST, SendMessagesDto } from './dto/send-messages.dto';
import { MAX_PAYLOAD_DEPTH } from './dynamo-limits';
import { MESSAGE_ID } from './envelope';
import type { NewMessage } from './ingest.service';

/** The validated POST /v1/ingest/messages body (an interface: the global pipe leaves it alone). */
export interface SendMessagesInput {
  messages: NewMessage[];
}

const MESSAGE_KEYS = new Set(['payload', 'id', 'source']);
const MAX_SOURCE_LENGTH = 128;
/** Keys Nest's ValidationPipe deletes, in place and at any depth, against prototype pollution. */
const PROTO_KEYS = ['__proto__', 'prototype', 'constructor'];

/** True when the value holds a key the standard pipe would strip, or nests too deep to look. */
function needsStandardPipe(v: unknown, depth = 0): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth > MAX_PAYLOAD_DEPTH) return true; // the service refuses it anyway; no deep recursion
  if (Array.isArray(v)) return v.some((x) => needsStandardPipe(x, depth + 1));
  for (const key of PROTO_KEYS) if (Object.hasOwn(v, key)) return true;
  for (const key in v)
    if (needsStandardPipe((v as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * Accepts only what IngestMessageDto surely accepts, and stricter where unsure: `id: null` and
 * `source: null` pass @IsOptional but go to class-validator here. `source.length` counts UTF-16
 * units, never fewer than the characters @Length counts.
 */
function isCommonMessage(m: unknown): boolean {
  if (!isPlainObject(m)) return false;
  for (const key in m) if (!MESSAGE_KEYS.has(key)) return false;
  const { payload, id, source } = m;
  return (
    isPlainObject(payload) &&
    !needsStandardPipe(payload) &&
    (id === undefined || (typeof id === 'string' && MESSAGE_ID.test(id))) &&
    (source === undefined ||
      (typeof source === 'string' && source.length >= 1 && source.length <= MAX_SOURCE_LENGTH))
  );
}

/**
 * Validates the send body as the global pipe would with SendMessagesDto (same messages, field
 * paths `messages.<i>.<field>`), but a body in the common shape is checked by hand and passed on
 * as it is: class-transformer + class-validator on the nested messages were ~6 % of the API's
 * CPU with clients that send one message per request.
 *
 * Both paths store the same payloads. A payload with a `constructor`, `prototype` or
 * `__proto__` key goes through the standard pipe, which deletes those keys in place as it always
 * did. And the service gets the client's own payload objects: class-transformer's copy would
 * drop keys named like other Object.prototype members (`toString`, ...), so the payloads of a
 * body that went through the DTO are put back. The service only reads the messages (it
 * serializes each at once), so passing them on is safe.
 */
@Injectable()
export class SendMessagesPipe implements PipeTransform<unknown, Promise<SendMessagesInput>> {
  private readonly standard = validationPipe();

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<SendMessagesInput> {
    if (isPlainObject(value)) {
      const messages = value.messages;
      if (
        Object.keys(value).length === 1 &&
        Array.isArray(messages) &&
        messages.length >= 1 &&
        messages.length <= MAX_MESSAGES_PER_REQUEST &&
        messages.every(isCommonMessage)
      )
        return value as unknown as SendMessagesInput;
    }
    const dto = (await this.standard.transform(value, {
      ...metadata,
      metatype: SendMessagesDto,
    })) as SendMessagesInput;
    const sent = (value as { messages: Array<{ payload: Record<string, unknown> }> }).messages;
    // `null` passes @IsOptional: it means absent. Passed on, `source: null` made an envelope the
    // consumer refuses, which sent its whole pack (other requests' messages too) to the DLQ.
    return {
      messages: dto.messages.map(({ id, source }, i) => ({
        payload: sent[i].payload,
        ...(id != null ? { id } : {}),
        ...(source != null ? { source } : {}),
      })),
    };
  }
}
