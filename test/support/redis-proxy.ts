import { startRedis } from '../../scripts/stack/index.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

export interface ProxiedRedis {
  proxy: TcpProxy;
  /** The Redis URL through the proxy (what the app under test gets). */
  url: string;
  /** Closes the proxy, then stops the server. */
  stop(): Promise<void>;
}

/** A redis-server of the suite's own behind a TCP proxy, to cut it in any FaultMode. */
export async function startProxiedRedis(opts: { dataDir?: string } = {}): Promise<ProxiedRedis> {
  const redis = await startRedis(undefined, opts);
  const proxy = await startTcpProxy(Number(new URL(redis.url).port));
  return {
    proxy,
    url: `redis://127.0.0.1:${proxy.port}`,
    stop: async () => {
      await proxy.close();
      await redis.stop();
    },
  };
}
