import { chunk, sendAll, type BatchResult, type SendBatch } from './send-batches';

const msgs = (n: number, size = 10) =>
  Array.from({ length: n }, (_, i) => ({ ids: [`m${i}`], body: 'x'.repeat(size) }));
const opts = { maxEntries: 10, maxBatchBytes: 1000, attempts: 3, deadlineMs: 1000 };
const allOk: SendBatch = async (entries) => ({
  successful: entries.map((e) => e.entryId),
  failed: [],
});

describe('chunk', () => {
  it('cuts at 10 entries', () => {
    expect(chunk(msgs(25), 10, 1_000_000).map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('cuts before the batch byte limit, and a message alone may fill a batch', () => {
    expect(chunk(msgs(5, 400), 10, 1000).map((c) => c.length)).toEqual([2, 2, 1]);
    expect(chunk(msgs(3, 1000), 10, 1000).map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('counts bytes, not characters', () => {
    const wide = [
      { ids: ['a'], body: 'é'.repeat(300) },
      { ids: ['b'], body: 'é'.repeat(300) },
    ];
    expect(chunk(wide, 10, 1000).map((c) => c.length)).toEqual([1, 1]);
  });
});

describe('sendAll', () => {
  it('sends batches in parallel and accepts everything SQS confirms', async () => {
    let inFlight = 0;
    let peak = 0;
    const send: SendBatch = async (entries) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return allOk(entries, new AbortController().signal);
    };
    const out = await sendAll(msgs(35), send, opts);
    expect(out).toEqual({ accepted: msgs(35).flatMap((m) => m.ids), notAccepted: [] });
    expect(peak).toBe(4);
  });

  it('retries only the failed entries that are not the sender’s fault', async () => {
    const calls: string[][] = [];
    const send: SendBatch = async (entries): Promise<BatchResult> => {
      calls.push(entries.map((e) => e.entryId));
      if (calls.length === 1) {
        return {
          successful: ['0', '3'],
          failed: [
            { entryId: '1', senderFault: false },
            { entryId: '2', senderFault: true },
          ],
        };
      }
      return { successful: entries.map((e) => e.entryId), failed: [] };
    };
    const out = await sendAll(msgs(4), send, opts);
    expect(calls).toEqual([['0', '1', '2', '3'], ['1']]);
    expect(out).toEqual({ accepted: ['m0', 'm1', 'm3'], notAccepted: ['m2'] });
  });

  it('retries a failed call, then reports what never got through', async () => {
    let n = 0;
    const send: SendBatch = async (entries) => {
      n++;
      if (entries.some((e) => e.entryId === '10')) throw new Error('connection reset');
      return allOk(entries, new AbortController().signal);
    };
    const out = await sendAll(msgs(12), send, opts);
    expect(out.notAccepted).toEqual(['m10', 'm11']);
    expect(out.accepted).toHaveLength(10);
    expect(n).toBe(1 + opts.attempts);
  });

  it('answers for every id an SQS message carries', async () => {
    const packs = [
      { ids: ['a', 'b'], body: 'x' },
      { ids: ['c', 'd', 'e'], body: 'y' },
      { ids: ['f'], body: 'z' },
    ];
    const send: SendBatch = async () => ({
      successful: ['0', '2'],
      failed: [{ entryId: '1', senderFault: true }],
    });
    expect(await sendAll(packs, send, opts)).toEqual({
      accepted: ['a', 'b', 'f'],
      notAccepted: ['c', 'd', 'e'],
    });
  });

  it('stops at the deadline: a hanging SQS leaves everything not accepted', async () => {
    const send: SendBatch = (_entries, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    const t0 = Date.now();
    const out = await sendAll(msgs(3), send, { ...opts, deadlineMs: 200 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(out).toEqual({ accepted: [], notAccepted: ['m0', 'm1', 'm2'] });
  });
});
