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

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const serializeEnvelope = (e: Envelope): string => JSON.stringify(e);

/** The envelope in an SQS body, or undefined when the body is not one (a poison message). */
export function parseEnvelope(body: string | undefined): Envelope | undefined {
  if (body === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isPlainObject(v)) return undefined;
  const { id, source, payload, acceptedAt } = v;
  if (typeof id !== 'string' || !MESSAGE_ID.test(id)) return undefined;
  if (!isPlainObject(payload)) return undefined;
  if (typeof acceptedAt !== 'string' || Number.isNaN(Date.parse(acceptedAt))) return undefined;
  if (source !== undefined && typeof source !== 'string') return undefined;
  return { id, payload, acceptedAt, ...(source !== undefined ? { source } : {}) };
}
