import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
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

/** dynalite (in-memory DynamoDB) on a free loopback port. */
export async function startDynamo(port?: number): Promise<Emulator> {
  const p = port ?? (await freePort());
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', () => resolve());
  });
  return { port: p, url: `http://127.0.0.1:${p}`, stop: closer(server) };
}

/** The same emulator in a child process of its own (see emulator-server.ts). */
export function startEmulatorProcess(kind: 'sqs' | 'dynamo'): Promise<Emulator> {
  const entry = fileURLToPath(new URL('./emulator-server.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', entry, kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} emulator exited with ${code}`)));
    child.stdout.once('data', (chunk: Buffer) => {
      const port = Number(chunk.toString().trim());
      const stop = () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        });
      resolve({ port, url: `http://127.0.0.1:${port}`, stop });
    });
  });
}
