import { Cluster } from 'ioredis';

interface RefreshingCluster {
  slotsTimer: NodeJS.Timeout | null;
  options: { slotsRefreshInterval?: number };
  refreshSlotsCache(callback?: (err?: Error) => void): void;
  resetNodesRefreshInterval(): void;
  clearNodesRefreshInterval(): void;
}

let installed = false;

/**
 * A closed Cluster must stop refreshing its slot map. ioredis's periodic refresh
 * (slotsRefreshInterval) schedules the next round from the callback of the current one; quit()
 * and disconnect() clear the pending timer, but when they run while a refresh is in flight (its
 * timer already fired) that refresh's callback schedules a new round anyway, and every round
 * after it finds an empty pool, fails at once and schedules the next: a timer every second, for
 * good, on a client already closed. It kept a process (a Jest run) from exiting, now and then.
 * This is ioredis 6.0's resetNodesRefreshInterval with one change: a round schedules the next
 * only if its timer is still the current one (clearNodesRefreshInterval, or a newer loop after a
 * reconnect, replaced it). Installed once, before any client is made (redis.factory imports it);
 * cluster-refresh.spec.ts fails if the ioredis internals used here change.
 */
export function stopRefreshWhenClosed(): void {
  if (installed) return;
  installed = true;
  const proto = Cluster.prototype as unknown as RefreshingCluster;
  proto.resetNodesRefreshInterval = function (this: RefreshingCluster): void {
    const interval = this.options.slotsRefreshInterval;
    if (this.slotsTimer || !interval) return;
    const nextRound = () => {
      const timer: NodeJS.Timeout = setTimeout(() => {
        this.refreshSlotsCache(() => {
          if (this.slotsTimer === timer) nextRound();
        });
      }, interval);
      this.slotsTimer = timer;
    };
    nextRound();
  };
}
