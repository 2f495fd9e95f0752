import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy fails the target:
 * - `reset`: drops every open connection and refuses new ones (a stopped process, a reset);
 * - `hang`: accepts connections and never answers, on open and new connections alike (a
 *   black-holed route, a stuck load balancer, a paused peer);
 * - `stall`: passes each request on, then answers half of the first chunk of its response and
 *   nothing more (a peer that dies mid-answer without closing).
 */
export type FaultMode = 'reset' | 'hang' | 'stall';
export const FAULT_MODES: FaultMode[] = ['reset', 'hang', 'stall'];

export interface TcpProxy {
  port: number;
  url: string;
  /** Fails the target in `mode` until resume(); `reset` by default: the target looks unreachable. */
  cut(mode?: FaultMode): void;
  /**
   * Passes traffic again. Connections that hung or stalled are reset first (their streams lost
   * bytes), as a load balancer does with idle ones; a client with no deadline would still be waiting.
   */
  resume(): void;
  /** Connections accepted since start (to check a client did not pile them up). */
  readonly accepted: number;
  /** Open connections that swallowed bytes (hung or stalled): the client has not given up on them yet. */
  readonly stuck: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
  /** Bytes were swallowed on this connection: it cannot carry a protocol any more. */
  broken: boolean;
  /** stall mode: half of one response chunk went through already. */
  answeredHalf: boolean;
}

/**
 * A loopback TCP proxy in front of an emulator (or Redis, or an API server), so one suite can
 * make it unreachable or unresponsive without stopping what other suites share.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: FaultMode | undefined;
  let accepted = 0;

  const server: Server = createServer((client) => {
    accepted++;
    if (mode === 'reset') return void client.destroy();
    const pair: Pair = { client, broken: false, answeredHalf: false };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    const upstream = connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (mode === 'hang') {
        pair.broken = true; // swallowed: never reaches the target, never answered
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'hang') {
        pair.broken = true;
        return;
      }
      if (mode === 'stall') {
        pair.broken = true;
        if (!pair.answeredHalf) {
          pair.answeredHalf = true;
          client.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
        }
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const destroy = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get stuck() {
      return [...pairs].filter((p) => p.broken).length;
    },
    cut(m: FaultMode = 'reset') {
      mode = m;
      if (m === 'reset') pairs.forEach(destroy);
      pairs.forEach((p) => (p.answeredHalf = false));
    },
    resume() {
      mode = undefined;
      pairs.forEach((p) => p.broken && destroy(p));
    },
    close: () =>
      new Promise<void>((resolve) => {
        pairs.forEach(destroy);
        server.close(() => resolve());
      }),
  };
}
