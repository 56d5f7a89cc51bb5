import { describe, expect, it } from 'vitest';
import { parseCidr, type Ipv4 } from '../net/addr.ts';
import { Fib, type Route } from './fib.ts';
import { NeighTable } from './neigh.ts';
import { Rng } from '../rng.ts';

const route = (dst: string, metric?: number, dev = 'eth0'): Route => ({ dst: parseCidr(dst), dev, proto: 'static', scope: 'global', type: 'unicast', ...(metric !== undefined ? { metric } : {}) });

describe('Fib.add inserts in `ip route` order', () => {
  it('whatever order routes arrive in: default first, then by network, longer prefixes first, metric, arrival', () => {
    const routes = [route('0.0.0.0/0', 100), route('10.42.0.0/16'), route('10.42.1.0/24'), route('10.42.1.0/24', 5), route('10.42.1.0/24', 5, 'eth1'), route('10.42.2.0/24'), route('192.168.205.0/24', 100), route('192.168.205.1/32', 100)];
    const rng = new Rng(7);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...routes];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const fib = new Fib();
      for (const r of shuffled) fib.add(r);
      const text = fib.routes.map((r) => `${r.dst.net}/${r.dst.len}/${r.metric ?? 0}`);
      expect(text).toEqual([...shuffled].sort((a, b) => (a.dst.len === 0 ? -1 : b.dst.len === 0 ? 1 : a.dst.net - b.dst.net || b.dst.len - a.dst.len || (a.metric ?? 0) - (b.metric ?? 0))).map((r) => `${r.dst.net}/${r.dst.len}/${r.metric ?? 0}`));
      // equal routes keep their arrival order, as the stable sort did
      const equal = fib.routes.filter((r) => r.metric === 5);
      expect(equal.map((r) => r.dev)).toEqual(shuffled.filter((r) => r.metric === 5).map((r) => r.dev));
    }
    const fib = new Fib();
    for (const r of routes) fib.add(r);
    expect(fib.lookup('10.42.1.7' as Ipv4)?.route.metric).toBe(undefined);
  });
});

describe('NeighTable', () => {
  it('finds, replaces and removes by (dev, ip) and keeps rows in `ip neigh` order', () => {
    const t = new NeighTable();
    t.set({ ip: '10.42.1.0' as Ipv4, dev: 'flannel.1', state: 'PERMANENT' });
    t.set({ ip: '10.42.2.0' as Ipv4, dev: 'flannel.1', state: 'PERMANENT' });
    t.set({ ip: '10.42.2.0' as Ipv4, dev: 'cni0', state: 'REACHABLE' });
    // learning never overwrites a permanent entry; an administrator's replace does
    t.set({ ip: '10.42.1.0' as Ipv4, dev: 'flannel.1', state: 'STALE' });
    expect(t.get('flannel.1', '10.42.1.0' as Ipv4)?.entry.state).toBe('PERMANENT');
    t.replace({ ip: '10.42.1.0' as Ipv4, dev: 'flannel.1', state: 'STALE' });
    expect(t.get('flannel.1', '10.42.1.0' as Ipv4)).toEqual({ row: 0, entry: { ip: '10.42.1.0', dev: 'flannel.1', state: 'STALE' } });
    expect(t.remove('flannel.1', '10.42.1.0' as Ipv4)).toBe(true);
    expect(t.get('cni0', '10.42.2.0' as Ipv4)?.row).toBe(1);
    expect(t.removeWhere((n) => n.dev === 'flannel.1')).toBe(1);
    expect(t.entries.map((n) => `${n.dev} ${n.ip}`)).toEqual(['cni0 10.42.2.0']);
    expect(t.get('cni0', '10.42.2.0' as Ipv4)?.row).toBe(0);
  });
});
