import { parseMessages, serializeEnvelope, PACK_OVERHEAD } from './envelope';
import { packMessages, type Serialized } from './packing';

const at = '2026-01-01T00:00:00.000Z';
/** Messages whose envelopes serialize to exactly `bytes` bytes each. */
const messages = (n: number, bytes = 100): Serialized[] =>
  Array.from({ length: n }, (_, i) => {
    const id = `m${String(i).padStart(3, '0')}`;
    const base = serializeEnvelope({ id, payload: { s: '' }, acceptedAt: at });
    const body = serializeEnvelope({
      id,
      payload: { s: 'x'.repeat(bytes - Buffer.byteLength(base)) },
      acceptedAt: at,
    });
    return { id, body, bytes: Buffer.byteLength(body) };
  });
const sizes = (packs: Array<{ ids: string[] }>) => packs.map((p) => p.ids.length);

describe('packMessages', () => {
  it('packs greedily up to the message count, in order, every id once', () => {
    const input = messages(250);
    const packs = packMessages(input, 100, 1_000_000);
    expect(sizes(packs)).toEqual([100, 100, 50]);
    expect(packs.flatMap((p) => p.ids)).toEqual(input.map((m) => m.id));
    for (const p of packs) expect(parseMessages(p.body)?.map((e) => e.id)).toEqual(p.ids);
  });

  it('cuts before the byte limit, counting the pack wrapper and commas', () => {
    // Three 100-byte envelopes fill exactly the limit; one byte less leaves room for two.
    const exact = PACK_OVERHEAD + 3 * 100 + 2;
    expect(sizes(packMessages(messages(7), 100, exact))).toEqual([3, 3, 1]);
    expect(sizes(packMessages(messages(7), 100, exact - 1))).toEqual([2, 2, 2, 1]);
    for (const p of packMessages(messages(7), 100, exact))
      expect(Buffer.byteLength(p.body)).toBeLessThanOrEqual(exact);
  });

  it('sends a group of one as a plain envelope, so a message as large as the limit still goes', () => {
    const big = messages(3, 1000);
    const packs = packMessages(big, 100, 1000);
    expect(sizes(packs)).toEqual([1, 1, 1]);
    expect(packs.map((p) => p.body)).toEqual(big.map((m) => m.body));
  });

  it('does not pack at all with a count of 1', () => {
    const input = messages(5);
    expect(packMessages(input, 1, 1_000_000)).toEqual(
      input.map((m) => ({ ids: [m.id], body: m.body })),
    );
  });
});
