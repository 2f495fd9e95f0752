import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import { freePort } from './ports.ts';

export interface Emulator {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const closer = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });

/** local-aws-sqs (JSON protocol, as the current SDK speaks) on a free loopback port. */
export async function startSqs(port?: number): Promise<Emulator> {
  const p = port ?? (await freePort());
  const server = await createSqsServer({
    port: p,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  return { port: p, url: `http://127.0.0.1:${p}`, stop: closer(server) };
}

/** dynalite on a free loopback port: in memory, or in a LevelDB store under `dataDir` (kept). */
export async function startDynamo(
  port?: number,
  opts: { dataDir?: string } = {},
): Promise<Emulator> {
  const p = port ?? (await freePort());
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(opts.dataDir ? { path: opts.dataDir } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => resolve());
  });
  return { port: p, url: `http://127.0.0.1:${p}`, stop: closer(server) };
}
