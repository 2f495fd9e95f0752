import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portIsFree } from './ports.ts';
import { findRedisServer, REDIS_MISSING, waitForPort } from './redis.ts';

export interface ClusterNode {
  port: number;
  /** Sends a signal to the node's redis-server (SIGKILL: a primary dies without a word). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the node again with its nodes.conf: it rejoins (a former primary as a replica). */
  start(): Promise<void>;
}

export interface RedisClusterProcess {
  nodes: ClusterNode[];
  /** Comma-separated `127.0.0.1:port` of every node (REDIS_CLUSTER_NODES). */
  seeds: string;
  /** The first node as a URL: one seed is enough (like ElastiCache's configuration endpoint). */
  url: string;
  /** Runs redis-cli against one node and returns its stdout. */
  cli(port: number, ...args: string[]): string;
  /** Resolves when every live node reports cluster_state:ok, agrees on the primaries, and every replica is in sync. */
  waitOk(timeoutMs?: number): Promise<void>;
  /** Port of the primary serving a hash slot now. */
  primaryOf(slot: number): number;
  /** Slot ranges and the port of the primary serving each (CLUSTER SLOTS). */
  slotRanges(): Array<{ from: number; to: number; port: number }>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** cluster-node-timeout: how long before a silent primary is failed over (tests: short). */
  nodeTimeoutMs?: number;
}

export function findRedisCli(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/**
 * A real Redis Cluster: 3 primaries and 3 replicas (6 redis-server processes on free loopback
 * ports), created with `redis-cli --cluster create --cluster-replicas 1`. Persistence off; each
 * node keeps its nodes.conf in a temporary directory so a killed node can come back.
 */
export async function startRedisCluster(
  opts: RedisClusterOptions = {},
): Promise<RedisClusterProcess> {
  const bin = findRedisServer();
  const cliBin = findRedisCli();
  if (!bin || !cliBin) throw new Error(REDIS_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const ports: number[] = [];
  /**
   * A free port whose cluster bus port (port + 10000) exists and is free too: redis-server will
   * not start otherwise, and the OS hands out ports up to 60999.
   */
  const clusterPort = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (p + 10000 <= 65535 && !ports.includes(p) && (await portIsFree(p + 10000))) return p;
    }
  };
  for (let i = 0; i < 6; i++) ports.push(await clusterPort());
  const children = new Map<number, ChildProcess>();
  const startNode = async (port: number) => {
    const child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(opts.nodeTimeoutMs ?? 2000),
        // A replica may take over however long it was apart from its primary (tests restart nodes).
        '--cluster-replica-validity-factor',
        '0',
      ],
      { stdio: 'ignore' },
    );
    child.unref();
    children.set(port, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`redis-server on ${port} exited (${signal ?? code}) before listening`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port, 5000), exited]);
  };
  /**
   * First start of node i: another process may take its port (or bus port) between the check and
   * redis-server's bind (parallel suites share the machine), so a node that cannot listen gets
   * a new port, a few times, before the cluster is created.
   */
  const firstStart = async (i: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startNode(ports[i]);
      } catch (e) {
        children.get(ports[i])?.kill('SIGKILL');
        children.delete(ports[i]);
        if (attempt === 3) throw e;
        ports[i] = await clusterPort();
      }
    }
  };
  const cli = (port: number, ...args: string[]) => {
    const r = spawnSync(cliBin, ['-h', '127.0.0.1', '-p', String(port), ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const alive = () =>
    ports.filter((p) => {
      const c = children.get(p);
      return c !== undefined && c.exitCode === null && c.signalCode === null;
    });
  const waitOk = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const live = alive();
        const ok = live.every((p) => /cluster_state:ok/.test(cli(p, 'cluster', 'info')));
        // Every live node sees the same set of live primaries covering all slots.
        const views = live.map((p) => primaryPorts(cli(p, 'cluster', 'nodes')).join(','));
        // Replicas in sync: a replica still loading its first copy must not be the one promoted.
        const synced = live.every((p) => {
          const info = cli(p, 'info', 'replication');
          return !/role:slave/.test(info) || /master_link_status:up/.test(info);
        });
        if (ok && synced && new Set(views).size === 1) return;
      } catch {
        // a node still starting
      }
      if (Date.now() > deadline) throw new Error('Redis Cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.ref(); // an unref'd child's exit would not keep the loop alive for this await
        c.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(ports.map((_, i) => firstStart(i)));
    const r = spawnSync(
      cliBin,
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0) throw new Error(`redis-cli --cluster create: ${r.stderr || r.stdout}`);
    await waitOk();
  } catch (e) {
    console.error(e);
    await stop();
    throw e;
  }
  const slotRanges = () => {
    for (const p of alive()) {
      try {
        const slots = JSON.parse(cli(p, '--json', 'cluster', 'slots')) as [
          number,
          number,
          [string, number],
        ][];
        return slots.map(([from, to, [, port]]) => ({ from, to, port: Number(port) }));
      } catch {
        // ask the next one
      }
    }
    throw new Error('no cluster node answers CLUSTER SLOTS');
  };
  const nodes: ClusterNode[] = ports.map((port) => ({
    port,
    kill: async (signal = 'SIGKILL') => {
      const c = children.get(port);
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.ref();
      c.kill(signal);
      await exited;
    },
    // A node still running is left alone (a second server on its port would fail and hide it).
    start: async () => {
      if (!alive().includes(port)) await startNode(port);
    },
  }));
  return {
    nodes,
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    url: `redis://127.0.0.1:${ports[0]}`,
    cli,
    waitOk,
    primaryOf: (slot: number) => {
      const r = slotRanges().find((x) => slot >= x.from && slot <= x.to);
      if (!r) throw new Error(`no primary serves slot ${slot}`);
      return r.port;
    },
    slotRanges,
    stop,
  };
}

/** Ports of the live primaries in CLUSTER NODES output, sorted. */
function primaryPorts(nodes: string): number[] {
  return nodes
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => /master/.test(f[2] ?? '') && !/fail/.test(f[2]) && f.length > 8)
    .map((f) => f.join(' '))
    .map((l) => Number(/:(\d+)@/.exec(l)?.[1]))
    .sort((a, b) => a - b);
}
