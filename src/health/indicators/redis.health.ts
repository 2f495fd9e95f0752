import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Cluster, Redis } from 'ioredis';
import { appConfig, redisConfig, type AppConfig, type RedisConfig } from '../../config';
import { REDIS } from '../../infra/redis';

/**
 * How long a cluster may report a state other than `ok` before readiness goes down: a primary's
 * failover (node timeout + election) passes within it, so losing one node never takes every pod
 * out of its Service at once; its own keys answer 503 meanwhile.
 */
export const CLUSTER_NOT_OK_GRACE_MS = 15_000;

@Injectable()
export class RedisHealth {
  /** When the cluster was last seen `cluster_state:ok` (cluster mode). */
  private lastOk = Date.now();

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(redisConfig.KEY) private readonly cfg: RedisConfig,
  ) {}

  check() {
    return this.health
      .check('redis')
      .attempt(async () => {
        if (this.cfg.mode !== 'cluster') {
          await this.redis.ping();
          return;
        }
        return this.clusterState();
      })
      .withTimeout(this.app.healthTimeoutMs);
  }

  /**
   * Asks every known primary for CLUSTER INFO and takes the first answer: one dead node is not a
   * failed check. `fail` (slots without a primary, mid-failover) is tolerated for the grace period.
   */
  private async clusterState(): Promise<{ cluster_state: string }> {
    // The request-path client refuses commands (503) until it has the slot map: not ready before.
    if (this.redis.status !== 'ready') throw new Error(`cluster client ${this.redis.status}`);
    const nodes = (this.redis as unknown as Cluster).nodes('master');
    if (!nodes.length) throw new Error('no cluster node connected');
    const info = await Promise.any(nodes.map((n) => n.cluster('INFO') as Promise<string>)).catch(
      () => {
        throw new Error('no cluster node answers');
      },
    );
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    const now = Date.now();
    if (state === 'ok') this.lastOk = now;
    else if (now - this.lastOk > CLUSTER_NOT_OK_GRACE_MS)
      throw new Error(`cluster_state:${state} for ${Math.round((now - this.lastOk) / 1000)} s`);
    return { cluster_state: state };
  }
}
