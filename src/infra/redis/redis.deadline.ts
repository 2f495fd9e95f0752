/**
 * A Redis call bounded from the moment it is made. ioredis starts `commandTimeout` only when a
 * command is written, and with auto-pipelining it runs one pipeline per connection at a time:
 * while Redis hangs, a new command first waits (unbounded by commandTimeout) for the pipeline in
 * flight to time out, then for its own timeout, so a request waited two command timeouts. The
 * error says "Command timed out", like ioredis's own: 503, and "may have reached Redis" (the
 * command may still be written once the pipeline ahead of it settles).
 */
export function withCommandDeadline<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Command timed out (no reply within ${ms} ms of the call)`)),
      ms,
    );
  });
  call.catch(() => undefined); // past the deadline nobody awaits it
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}
