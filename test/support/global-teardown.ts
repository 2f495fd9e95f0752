import type { Stack } from '../../scripts/stack/index.ts';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __STACK__?: Stack }).__STACK__?.stop();
}
