import { packOfBodies, PACK_OVERHEAD } from './envelope';
import type { Outgoing } from './send-batches';

/** One accepted message, serialized once: its envelope body and that body's bytes. */
export interface Serialized {
  id: string;
  body: string;
  bytes: number;
}

/**
 * Groups messages greedily, in order, into SQS messages of at most maxMessages envelopes and
 * maxBytes bytes. A group of one keeps the single-envelope body (what maxMessages = 1 always
 * gives), so a message that alone fills maxBytes still fits.
 */
export function packMessages(
  messages: Serialized[],
  maxMessages: number,
  maxBytes: number,
): Outgoing[] {
  const out: Outgoing[] = [];
  let group: Serialized[] = [];
  let bytes = 0;
  const flush = () => {
    if (!group.length) return;
    const body = group.length === 1 ? group[0].body : packOfBodies(group.map((m) => m.body));
    out.push({ ids: group.map((m) => m.id), body });
    group = [];
  };
  for (const m of messages) {
    // +1: the comma before it.
    if (group.length && (group.length === maxMessages || bytes + 1 + m.bytes > maxBytes)) flush();
    bytes = group.length ? bytes + 1 + m.bytes : PACK_OVERHEAD + m.bytes;
    group.push(m);
  }
  flush();
  return out;
}
