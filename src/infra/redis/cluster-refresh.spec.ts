import { Cluster } from 'ioredis';

/**
 * stopRefreshWhenClosed replaces ioredis's resetNodesRefreshInterval. These are the ioredis 6.0
 * internals it relies on, read before it is installed: if an upgrade renames or reshapes them,
 * this fails, and the patch must be checked again (test/redis-cluster-cold-start.e2e-spec.ts runs
 * the race it closes against a real cluster).
 */
describe('cluster-refresh: the ioredis internals stopRefreshWhenClosed relies on', () => {
  const proto = Cluster.prototype as unknown as Record<string, unknown>;
  const source = (name: string) => String(proto[name]);

  it('resetNodesRefreshInterval: a slotsTimer guard, then rounds of refreshSlotsCache', () => {
    const src = source('resetNodesRefreshInterval');
    expect(src).toMatch(/this\.slotsTimer \|\| !this\.options\.slotsRefreshInterval/);
    expect(src).toMatch(/this\.slotsTimer = setTimeout/);
    expect(src).toMatch(/this\.refreshSlotsCache\(/);
  });

  it('clearNodesRefreshInterval clears the timer and sets slotsTimer to null', () => {
    const src = source('clearNodesRefreshInterval');
    expect(src).toMatch(/clearTimeout\(this\.slotsTimer\)/);
    expect(src).toMatch(/this\.slotsTimer = null/);
  });

  it('quit and disconnect call clearNodesRefreshInterval; ready calls resetNodesRefreshInterval', () => {
    expect(source('quit')).toMatch(/this\.clearNodesRefreshInterval\(\)/);
    expect(source('disconnect')).toMatch(/this\.clearNodesRefreshInterval\(\)/);
    expect(source('connect')).toMatch(/this\.resetNodesRefreshInterval\(\)/);
  });
});
