import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Drops every open connection and closes new ones until resume(): the target looks unreachable. */
  cut(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of an emulator, so one suite can make SQS or DynamoDB
 * unreachable without stopping the emulators other suites share.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const dropAll = () => sockets.forEach((s) => s.destroy());
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cut() {
      down = true;
      dropAll();
    },
    resume() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
