import type { LightMyRequestResponse } from 'fastify';

export interface Answer {
  status: number;
  ms: number;
  body: string;
  /** What the caller sent (e.g. message ids), to match answers to side effects. */
  sent?: unknown;
}

export interface Load {
  answers: Answer[];
  /** Stops starting new requests and resolves once every in-flight one has answered. */
  stop(): Promise<Answer[]>;
}

type Call = () => Promise<{ res: LightMyRequestResponse; sent?: unknown }>;

/**
 * Keeps `concurrency` requests in flight until stop(), timing each one. After a failure a loop
 * waits `pauseAfterFailureMs` (a client backing off), so fast 503s do not starve the 2-core CPU;
 * after a success `pauseMs`, to keep a load within what a backend emulator drains in seconds.
 */
export function startLoad(
  concurrency: number,
  call: Call,
  pauseAfterFailureMs = 25,
  pauseMs = 0,
): Load {
  const answers: Answer[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const t0 = performance.now();
      const { res, sent } = await call();
      answers.push({ status: res.statusCode, ms: performance.now() - t0, body: res.body, sent });
      if (res.statusCode >= 300) await sleep(pauseAfterFailureMs);
      else if (pauseMs) await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; resolves with the milliseconds that took, or throws after `limitMs`. */
export async function msUntil(
  probe: () => Promise<boolean>,
  limitMs: number,
  everyMs = 50,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`not there after ${limitMs} ms`);
    await sleep(everyMs);
  }
}

/** Status counts, slowest answer, and the distinct bodies of failures: what a failing check prints. */
export function summary(answers: Answer[]) {
  const byStatus: Record<number, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const slowest = Math.round(Math.max(0, ...answers.map((a) => a.ms)));
  return { total: answers.length, byStatus, slowestMs: slowest };
}
