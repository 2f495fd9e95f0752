import { isPlainObject } from '../common/primitives/objects';
/** What travels on the queue: the client's message plus what the API knows when it accepts it. */
export interface Envelope {
  id: string;
  source?: string;
  payload: Record<string, unknown>;
  /** ISO time the API accepted the message: the newer acceptance of one id wins in storage. */
  acceptedAt: string;
}

export const MESSAGE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const MESSAGE_ID_HINT = 'must be 1-128 characters of A-Z a-z 0-9 . _ : -';

export const serializeEnvelope = (e: Envelope): string => JSON.stringify(e);

/**
 * A pack: several envelopes in one SQS message, because SQS costs CPU and money per request, not
 * per byte. Built from already serialized envelopes so the API serializes each message once.
 */
export const PACK_VERSION = 1;
const PACK_HEAD = `{"v":${PACK_VERSION},"messages":[`;
const PACK_TAIL = ']}';
/** Bytes a pack adds around its envelopes (commas between them aside). */
export const PACK_OVERHEAD = Buffer.byteLength(PACK_HEAD + PACK_TAIL);

export const packOfBodies = (bodies: string[]): string => PACK_HEAD + bodies.join(',') + PACK_TAIL;

export const serializePack = (envelopes: Envelope[]): string =>
  packOfBodies(envelopes.map(serializeEnvelope));

/**
 * The envelopes of any SQS body: a pack's, or the one of a single-envelope body (older messages,
 * redriven dead letters). Undefined (poison) when the body is neither, or when any envelope of a
 * pack is invalid: the whole message then goes to the DLQ as it is.
 */
export function parseMessages(body: string | undefined): Envelope[] | undefined {
  const v = parseJson(body);
  if (!isPlainObject(v)) return undefined;
  if (!('v' in v)) {
    const single = toEnvelope(v);
    return single && [single];
  }
  if (v.v !== PACK_VERSION || !Array.isArray(v.messages) || !v.messages.length) return undefined;
  const envelopes = v.messages.map(toEnvelope);
  return envelopes.every((e) => e !== undefined) ? envelopes : undefined;
}

function parseJson(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function toEnvelope(v: unknown): Envelope | undefined {
  if (!isPlainObject(v)) return undefined;
  const { id, source, payload, acceptedAt } = v;
  if (typeof id !== 'string' || !MESSAGE_ID.test(id)) return undefined;
  if (!isPlainObject(payload)) return undefined;
  if (typeof acceptedAt !== 'string' || Number.isNaN(Date.parse(acceptedAt))) return undefined;
  if (source !== undefined && typeof source !== 'string') return undefined;
  return { id, payload, acceptedAt, ...(source !== undefined ? { source } : {}) };
}
