import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth } from './app';

export type Inject = NestFastifyApplication['inject'];

/** A queue name of the suite's own, so suites sharing the embedded Redis never see each other's tasks. */
export const uniqueQueue = (suite: string) =>
  `t-${suite}-${process.pid}-${Date.now().toString(36)}`;

export async function submit(app: NestFastifyApplication, body: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/tasks', headers: auth, payload: body });
}

export async function getTask(app: NestFastifyApplication, id: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/tasks/${id}`, headers: auth });
  return res.json();
}

/** Polls a task until `until(task)` holds; fails with the last state seen. */
export async function waitTask(
  app: NestFastifyApplication,
  id: string,
  until: (t: { status: string }) => boolean,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: { status: string } | undefined;
  while (Date.now() < deadline) {
    last = await getTask(app, id);
    if (last && until(last)) return last as Record<string, unknown> & { status: string };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `task ${id} did not get there in ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`,
  );
}

export const status = (s: string) => (t: { status: string }) => t.status === s;

export async function submitBatch(app: NestFastifyApplication, body: unknown) {
  return app.inject({
    method: 'POST',
    url: '/v1/tasks/batch',
    headers: auth,
    payload: body as Record<string, unknown>,
  });
}
