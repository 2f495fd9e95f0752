import { Coalescer, type FlushInfo } from './coalescer';
import type { Serialized } from './packing';
import type { SendOutcome } from './send-batches';

const msg = (id: string, bytes = 10): Serialized => ({ id, body: `{"id":"${id}"}`, bytes });

/** A send that records each call and confirms every key but those whose original id is refused. */
function recorder(refuse: (m: Serialized & { original?: string }) => boolean = () => false) {
  const calls: Array<Array<Serialized & { original?: string }>> = [];
  const send = (messages: Serialized[]): Promise<SendOutcome> => {
    calls.push(messages);
    const out: SendOutcome = { accepted: [], notAccepted: [] };
    for (const m of messages) (refuse(m) ? out.notAccepted : out.accepted).push(m.id);
    return Promise.resolve(out);
  };
  return { calls, send };
}

describe('Coalescer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the requests of one window together and gives each its own ids, in order', async () => {
    const { calls, send } = recorder();
    const flushes: FlushInfo[] = [];
    const c = new Coalescer(send, { windowMs: 5, maxMessages: 100, maxBytes: 10_000 }, (f) =>
      flushes.push(f),
    );
    const a = c.submit([msg('a1'), msg('a2')]);
    const b = c.submit([msg('b1')]);
    expect(calls).toHaveLength(0); // waiting in the window
    jest.advanceTimersByTime(5);
    expect(calls).toHaveLength(1);
    expect(calls[0].map((m) => m.original)).toEqual(['a1', 'a2', 'b1']);
    await expect(a).resolves.toEqual({ accepted: ['a1', 'a2'], notAccepted: [] });
    await expect(b).resolves.toEqual({ accepted: ['b1'], notAccepted: [] });
    expect(flushes).toEqual([
      expect.objectContaining({ reason: 'window', messages: 3, requests: 2 }),
    ]);
  });

  it('closes the window early when the batch is full (messages or bytes)', async () => {
    const { calls, send } = recorder();
    const c = new Coalescer(send, { windowMs: 1000, maxMessages: 3, maxBytes: 40 });
    const full = [c.submit([msg('a')]), c.submit([msg('b')]), c.submit([msg('c')])];
    expect(calls).toHaveLength(1); // 3 messages: full, sent at once
    const bytes = [c.submit([msg('d', 35)]), c.submit([msg('e', 5)])];
    expect(calls).toHaveLength(2); // 40 bytes: full
    await Promise.all([...full, ...bytes]);
    expect(calls.map((m) => m.map((x) => x.original))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('starts a new batch with a request that would overflow the current one', async () => {
    const { calls, send } = recorder();
    const c = new Coalescer(send, { windowMs: 1000, maxMessages: 3, maxBytes: 10_000 });
    const a = c.submit([msg('a1'), msg('a2')]);
    const b = c.submit([msg('b1'), msg('b2')]);
    expect(calls.map((m) => m.map((x) => x.original))).toEqual([['a1', 'a2']]);
    jest.advanceTimersByTime(1000);
    expect(calls.map((m) => m.map((x) => x.original))).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
    await Promise.all([a, b]);
  });

  it('fails only the requests whose messages SQS did not confirm', async () => {
    const { send } = recorder((m) => m.original === 'b2');
    const c = new Coalescer(send, { windowMs: 1, maxMessages: 100, maxBytes: 10_000 });
    const a = c.submit([msg('a1')]);
    const b = c.submit([msg('b1'), msg('b2')]);
    jest.advanceTimersByTime(1);
    await expect(a).resolves.toEqual({ accepted: ['a1'], notAccepted: [] });
    await expect(b).resolves.toEqual({ accepted: ['b1'], notAccepted: ['b2'] });
  });

  it('keeps two requests carrying the same id apart', async () => {
    let first = true;
    const { send } = recorder(() => {
      const refuse = first;
      first = false;
      return refuse;
    });
    const c = new Coalescer(send, { windowMs: 1, maxMessages: 100, maxBytes: 10_000 });
    const a = c.submit([msg('same')]);
    const b = c.submit([msg('same')]);
    jest.advanceTimersByTime(1);
    await expect(a).resolves.toEqual({ accepted: [], notAccepted: ['same'] });
    await expect(b).resolves.toEqual({ accepted: ['same'], notAccepted: [] });
  });

  it('answers every request as not accepted when the send itself throws', async () => {
    const c = new Coalescer(() => Promise.reject(new Error('boom')), {
      windowMs: 1,
      maxMessages: 100,
      maxBytes: 10_000,
    });
    const a = c.submit([msg('a1'), msg('a2')]);
    jest.advanceTimersByTime(1);
    await expect(a).resolves.toEqual({ accepted: [], notAccepted: ['a1', 'a2'] });
  });

  it('answers nothing before the send settles', async () => {
    let confirm!: (o: SendOutcome) => void;
    const c = new Coalescer(
      (messages) =>
        new Promise<SendOutcome>((r) => {
          confirm = () => r({ accepted: messages.map((m) => m.id), notAccepted: [] });
        }),
      { windowMs: 1, maxMessages: 100, maxBytes: 10_000 },
    );
    let settled = false;
    const a = c.submit([msg('a')]).then((o) => ((settled = true), o));
    jest.advanceTimersByTime(10);
    await Promise.resolve();
    expect(settled).toBe(false);
    confirm({ accepted: [], notAccepted: [] });
    await expect(a).resolves.toEqual({ accepted: ['a'], notAccepted: [] });
  });

  it('on close sends what waits at once, then every new request without a window', async () => {
    const { calls, send } = recorder();
    const flushes: FlushInfo[] = [];
    const c = new Coalescer(send, { windowMs: 1000, maxMessages: 100, maxBytes: 10_000 }, (f) =>
      flushes.push(f),
    );
    const a = c.submit([msg('a')]);
    await c.close();
    await expect(a).resolves.toEqual({ accepted: ['a'], notAccepted: [] });
    const b = c.submit([msg('b')]);
    expect(calls).toHaveLength(2);
    await b;
    expect(flushes.map((f) => f.reason)).toEqual(['shutdown', 'shutdown']);
  });
});
