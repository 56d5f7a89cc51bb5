import { describe, expect, it } from 'vitest';
import type { Ipv4 } from '../net/addr.ts';
import { Rng } from '../rng.ts';
import { glibcMsort, hash32, hsiphashU32, ipvsCmpServices, IpvsTable, type IpvsService } from './ipvs.ts';

const rng = new Rng(1);
const ip = (s: string) => s as Ipv4;

/** A service with real servers added in the given order (the kernel list ends up reversed). */
function service(scheduler: string, dests: [string, number][], extra: Partial<Pick<IpvsService, 'persistent' | 'schedFlags'>> = {}) {
  const t = new IpvsTable();
  const r = t.addService({ proto: 'TCP', addr: ip('10.43.6.58'), port: 80, scheduler, ...extra });
  if (!r.ok) throw new Error(r.error);
  for (const [addr, weight] of dests) t.addDest(r.value, { addr: ip(addr), port: 80, weight });
  return { t, svc: r.value };
}

const pick = (t: IpvsTable, svc: IpvsService, client = '10.42.0.65', cport = 40000) => t.schedule(svc, ip(client), cport, rng)?.addr;

describe('IPVS schedulers (net/netfilter/ipvs/ip_vs_*.c)', () => {
  it('keeps destinations in the kernel list order: list_add_rcu puts the newest first', () => {
    const { svc } = service('rr', [['10.42.1.6', 1], ['10.42.2.6', 1]]);
    expect(svc.dests.map((d) => d.addr)).toEqual(['10.42.2.6', '10.42.1.6']);
  });

  it('rr walks the list from where it stopped, skipping weight-0 servers', () => {
    const { t, svc } = service('rr', [['10.0.0.1', 1], ['10.0.0.2', 1], ['10.0.0.3', 1]]);
    expect([1, 2, 3, 4].map((p) => pick(t, svc, '10.42.0.65', p))).toEqual(['10.0.0.3', '10.0.0.2', '10.0.0.1', '10.0.0.3']);
    t.editDest(svc, svc.dests.find((d) => d.addr === '10.0.0.2')!, 0);
    expect([5, 6, 7].map((p) => pick(t, svc, '10.42.0.65', p))).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.1']);
  });

  it('rr finds no destination when every weight is 0', () => {
    const { t, svc } = service('rr', [['10.0.0.1', 0]]);
    expect(pick(t, svc)).toBeUndefined();
  });

  it('wrr respects weights with the kernel gcd/max-weight passes (3:1)', () => {
    // list order: B (added last) then A. The service was created empty (cw = mw = 0); adding A
    // set cw to its mw (1), adding B kept it — so the first pass takes every weight >= 1.
    const { t, svc } = service('wrr', [['10.0.0.1', 3], ['10.0.0.2', 1]]);
    const seq = Array.from({ length: 8 }, (_, i) => pick(t, svc, '10.42.0.65', 1000 + i));
    expect(seq).toEqual(['10.0.0.2', '10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.1', '10.0.0.1']);
    expect(seq.filter((a) => a === '10.0.0.1')).toHaveLength(6);
  });

  it('wrr with weights 2:4 steps by their gcd', () => {
    const { t, svc } = service('wrr', [['10.0.0.1', 2], ['10.0.0.2', 4]]);
    const seq = Array.from({ length: 6 }, (_, i) => pick(t, svc, '10.42.0.65', 1000 + i));
    expect(seq.filter((a) => a === '10.0.0.2')).toHaveLength(4);
    expect(seq.filter((a) => a === '10.0.0.1')).toHaveLength(2);
  });

  it('lc picks the least activeconns*256 + inactconns, first in list order on a tie', () => {
    const { t, svc } = service('lc', [['10.0.0.1', 1], ['10.0.0.2', 1]]);
    const [b, a] = svc.dests as [NonNullable<(typeof svc.dests)[0]>, NonNullable<(typeof svc.dests)[0]>];
    expect(pick(t, svc, '10.42.0.65', 1)).toBe(b.addr); // both idle: the head of the list
    expect(pick(t, svc, '10.42.0.65', 2)).toBe(a.addr); // b has one active connection now
    a.activeConns += 3;
    expect(pick(t, svc, '10.42.0.65', 3)).toBe(b.addr);
    // one active connection outweighs 255 inactive ones
    b.activeConns = 0;
    b.inactConns = 300;
    a.activeConns = 1;
    a.inactConns = 0;
    expect(pick(t, svc, '10.42.0.65', 4)).toBe(a.addr);
  });

  it('sh is sticky per source address and spreads sources over the weighted 256-bucket table', () => {
    const { t, svc } = service('sh', [['10.0.0.1', 3], ['10.0.0.2', 1]]);
    const first = pick(t, svc, '10.42.0.65', 1);
    for (let p = 2; p < 20; p++) expect(pick(t, svc, '10.42.0.65', p)).toBe(first);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1024; i++) {
      const a = pick(t, svc, `10.42.${i >> 8}.${i & 255}`, 5)!;
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    // weight 3 owns 192 of 256 buckets, weight 1 owns 64
    expect(counts.get('10.0.0.1')!).toBeGreaterThan(counts.get('10.0.0.2')! * 2);
    expect(counts.get('10.0.0.2')!).toBeGreaterThan(0);
  });

  it('sh bucket index is hash_32(saddr, 8) (GOLDEN_RATIO_32)', () => {
    expect(hash32(0, 8)).toBe(0);
    expect(hash32(1, 8)).toBe(0x61c88647 >>> 24);
  });

  it('dh hashes the destination (virtual) address, so every client reaches the same server', () => {
    const { t, svc } = service('dh', [['10.0.0.1', 1], ['10.0.0.2', 5]]);
    const first = pick(t, svc, '10.42.0.65', 1);
    for (let i = 1; i < 30; i++) expect(pick(t, svc, `10.42.1.${i}`, i)).toBe(first);
  });

  it('mh uses the kernel hsiphash (SipHash-1-3 on 64-bit): lib/test_siphash.c vector', () => {
    expect(hsiphashU32(0x03020100, [0x0706050403020100n, 0x0f0e0d0c0b0a0908n])).toBe(0x88d38328);
  });

  it('mh (Maglev) is deterministic, sticky per source without mh-port, and fills the table by weight', () => {
    const { t, svc } = service('mh', [['10.0.0.1', 1], ['10.0.0.2', 1]]);
    const first = pick(t, svc, '10.42.0.65', 1);
    for (let p = 2; p < 10; p++) expect(pick(t, svc, '10.42.0.65', p)).toBe(first);
    const again = service('mh', [['10.0.0.1', 1], ['10.0.0.2', 1]]);
    expect(pick(again.t, again.svc, '10.42.0.65', 1)).toBe(first);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const a = pick(t, svc, `10.${i >> 8}.${i & 255}.7`, 5)!;
      counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect(counts.get('10.0.0.1')!).toBeGreaterThan(700);
    expect(counts.get('10.0.0.2')!).toBeGreaterThan(700);
  });

  it('mh with mh-port (kube-proxy FlagSourceHash) hashes the source port too', () => {
    const { t, svc } = service('mh', [['10.0.0.1', 1], ['10.0.0.2', 1]], { schedFlags: ['mh-port'] });
    const seen = new Set<string>();
    for (let p = 40000; p < 40040; p++) seen.add(pick(t, svc, '10.42.0.65', p)!);
    expect(seen.size).toBe(2);
  });

  it('rejects a scheduler the kernel has no module for', () => {
    const t = new IpvsTable();
    const r = t.addService({ proto: 'TCP', addr: ip('10.43.6.58'), port: 80, scheduler: 'bogus' });
    expect(r).toEqual({ ok: false, error: 'Scheduler or persistence engine not found' });
    expect(t.services).toHaveLength(0);
  });
});

describe('IPVS connections, states and timers', () => {
  it('a new TCP connection is SYN_RECV for 60 s and counts as ActiveConn (tcp_state_active_table)', () => {
    const { t, svc } = service('rr', [['10.42.1.6', 1]]);
    t.schedule(svc, ip('10.42.0.65'), 40000, rng, 100);
    const c = t.conns.at(-1)!;
    expect([c.state, c.expires, c.inactive]).toEqual(['SYN_RECV', 60, false]);
    expect([svc.dests[0]!.activeConns, svc.dests[0]!.inactConns, svc.stats.conns]).toEqual([1, 0, 1]);
    expect(t.connFor('TCP', ip('10.42.0.65'), 40000, ip('10.43.6.58'), 80)).toBe(c);
  });

  it('follows the handshake and teardown through tcp_states[]', () => {
    const { t, svc } = service('rr', [['10.42.1.6', 1]]);
    t.schedule(svc, ip('10.42.0.65'), 40000, rng);
    const c = t.conns.at(-1)!;
    const d = svc.dests[0]!;
    t.transition(c, 'out', { syn: true, ack: true });
    expect(c.state).toBe('SYN_RECV');
    t.transition(c, 'in', { ack: true });
    expect([c.state, c.expires, d.activeConns]).toEqual(['ESTABLISHED', 900, 1]);
    t.transition(c, 'in', { fin: true, ack: true });
    expect([c.state, c.expires, d.activeConns, d.inactConns]).toEqual(['CLOSE_WAIT', 60, 0, 1]);
    t.transition(c, 'out', { fin: true, ack: true });
    expect(c.state).toBe('TIME_WAIT');
    t.transition(c, 'in', { rst: true });
    expect([c.state, c.expires]).toEqual(['CLOSE', 10]);
  });

  it('UDP entries are `UDP` for 300 s and stay in InActConn', () => {
    const t = new IpvsTable();
    const svc = t.addService({ proto: 'UDP', addr: ip('10.43.0.10'), port: 53, scheduler: 'rr' });
    if (!svc.ok) throw new Error(svc.error);
    t.addDest(svc.value, { addr: ip('10.42.1.3'), port: 53, weight: 1 });
    t.schedule(svc.value, ip('10.42.0.65'), 50000, rng);
    const c = t.conns.at(-1)!;
    expect([c.state, c.expires]).toEqual(['UDP', 300]);
    expect([svc.value.dests[0]!.activeConns, svc.value.dests[0]!.inactConns]).toEqual([0, 1]);
  });

  it('expires entries and takes them off the server counters', () => {
    const { t, svc } = service('rr', [['10.42.1.6', 1]]);
    t.schedule(svc, ip('10.42.0.65'), 40000, rng, 1000);
    expect(t.remaining(t.conns[0]!, 1030)).toBe(30);
    t.expire(1059);
    expect(t.conns).toHaveLength(1);
    t.expire(1060);
    expect(t.conns).toHaveLength(0);
    expect(svc.dests[0]!.activeConns).toBe(0);
    expect(t.connFor('TCP', ip('10.42.0.65'), 40000, ip('10.43.6.58'), 80)).toBeUndefined();
  });

  it('persistence (ClientIP affinity) keeps a client on one server through a template entry', () => {
    const { t, svc } = service('rr', [['10.42.1.6', 1], ['10.42.2.6', 1]], { persistent: 10800 });
    const a = pick(t, svc, '10.42.0.65', 40000);
    const b = pick(t, svc, '10.42.0.65', 40001);
    const other = pick(t, svc, '10.42.0.66', 40002);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    const tpl = t.conns.filter((c) => c.template);
    expect(tpl.map((c) => `${c.client}:${c.cport} ${c.state} ${c.expires}`)).toEqual(['10.42.0.65:0 NONE 10800', '10.42.0.66:0 NONE 10800']);
    expect(svc.dests.find((d) => d.addr === a)!.persistConns).toBe(1);
    // the real connection is the last entry, as the packet path reads it
    expect(t.conns.at(-1)!.template).toBe(false);
    expect(t.conns.at(-1)!.client).toBe('10.42.0.66');
  });

  it('a template cannot expire while it controls connections; a quiesced server voids it', () => {
    const { t, svc } = service('rr', [['10.42.1.6', 1], ['10.42.2.6', 1]], { persistent: 10 });
    const a = pick(t, svc, '10.42.0.65', 40000);
    t.expire(30);
    expect(t.conns.some((c) => c.template)).toBe(true); // re-armed: the connection (60 s) still lives
    t.expire(120);
    expect(t.conns).toHaveLength(0);
    const b = pick(t, svc, '10.42.0.65', 40001);
    t.editDest(svc, svc.dests.find((d) => d.addr === b)!, 0);
    expect(pick(t, svc, '10.42.0.65', 40002)).not.toBe(b);
    expect(a).toBeDefined();
  });
});

describe("ipvsadm's sort order (libipvs ipvs_cmp_services)", () => {
  it('compares addresses by an unsigned difference read as int: 192.168.x before 10.x', () => {
    const t = new IpvsTable();
    for (const [a, p] of [['10.43.6.58', 80], ['192.168.205.4', 32506], ['10.42.0.1', 32506], ['10.43.0.1', 443]] as const) {
      t.addService({ proto: 'TCP', addr: ip(a), port: p, scheduler: 'rr' });
    }
    t.addService({ proto: 'UDP', addr: ip('10.43.0.10'), port: 53, scheduler: 'rr' });
    expect(t.listed().map((s) => `${s.proto} ${s.addr}:${s.port}`)).toEqual([
      'TCP 192.168.205.4:32506',
      'TCP 10.42.0.1:32506',
      'TCP 10.43.0.1:443',
      'TCP 10.43.6.58:80',
      'UDP 10.43.0.10:53',
    ]);
    expect(t.find('TCP', ip('10.43.6.58'), 80)!.row).toBe(3);
  });

  it('glibcMsort is a stable top-down merge sort', () => {
    const xs = [3, 1, 2, 1, 0].map((v, i) => ({ v, i }));
    expect(glibcMsort(xs, (a, b) => a.v - b.v).map((x) => x.i)).toEqual([4, 1, 3, 2, 0]);
    expect(ipvsCmpServices).toBeTypeOf('function');
  });
});
