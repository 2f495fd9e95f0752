import { setTimeout as sleep } from 'node:timers/promises';
import { withCommandDeadline } from './redis.deadline';

const never = () => new Promise<never>(() => undefined);

describe('withCommandDeadline', () => {
  it('answers what the call answers, value or error', async () => {
    await expect(withCommandDeadline(Promise.resolve(7), 50)).resolves.toBe(7);
    await expect(withCommandDeadline(Promise.reject(new Error('boom')), 50)).rejects.toThrow(
      'boom',
    );
  });

  it('fails a call that has not answered within the bound, timed from the call', async () => {
    const t0 = performance.now();
    await expect(withCommandDeadline(never(), 40)).rejects.toThrow(
      'Command timed out (no reply within 40 ms of the call)',
    );
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(39);
  });

  it('bounds each call on its own, whatever the calls before and after it did', async () => {
    const slow = withCommandDeadline(never(), 60);
    await sleep(30);
    const quick = withCommandDeadline(
      sleep(10).then(() => 'quick'),
      60,
    );
    const late = withCommandDeadline(never(), 60);
    const t0 = performance.now();
    await expect(quick).resolves.toBe('quick');
    await expect(slow).rejects.toThrow('Command timed out');
    // `late` was made 30 ms after `slow`: it must not be failed with it.
    const lateResult = late.then(
      () => 'resolved',
      () => performance.now() - t0,
    );
    expect(await lateResult).toBeGreaterThanOrEqual(25);
  });

  it('a call that answers after its bound changes nothing (no unhandled rejection)', async () => {
    let fail!: (e: Error) => void;
    const call = new Promise<never>((_, reject) => (fail = reject));
    await expect(withCommandDeadline(call, 20)).rejects.toThrow('Command timed out');
    fail(new Error('too late'));
    await sleep(5);
  });
});
