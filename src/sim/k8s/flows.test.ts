import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Scenario } from '../api-types.ts';
import { closedConnections, EPHEMERAL_PORTS, traceFlow } from './flows.ts';

const POD = 'nginx-test-7646687cc4-n8s9s';

function cluster(before: string[] = []) {
  const s: Scenario = { preset: 'seed', modes: {}, seed: 1, before };
  const r = loadScenario(s);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('traces that get no useful answer end with a reason', () => {
  const c = cluster();

  it('traceroute to 255.255.255.255 stops at the port unreachable and names every packet', () => {
    const t = traceFlow(c, { from: POD, to: '255.255.255.255', proto: 'udp', kind: 'traceroute' });
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    // one probe, its answer: no 30 rounds of the same hop
    expect(t.value.packets.filter((p) => p.role === 'probe')).toHaveLength(1);
    for (const p of t.value.packets) expect(p.verdict === 'delivered' || typeof p.reason === 'string').toBe(true);
    expect(t.value.verdict === 'delivered' || typeof t.value.reason === 'string').toBe(true);
  });

  it('traceroute into nowhere ends dropped with the kernel reason, within its hop limit', () => {
    const t = traceFlow(c, { from: POD, to: '10.99.0.7', proto: 'udp', kind: 'traceroute' });
    expect(t.ok && t.value.verdict).toBe('dropped');
    expect(t.ok && t.value.reason).toBeTruthy();
  });
});

describe('a two-host routing loop', () => {
  it('between node1 and node2: the time exceeded comes back to the pod through conntrack (RELATED, reverse NAT)', () => {
    const c = cluster(['master: ip route add 10.99.0.0/16 via 192.168.205.3', 'node1: ip route add 10.99.0.0/16 via 192.168.205.5', 'node2: ip route add 10.99.0.0/16 via 192.168.205.3']);
    const t = traceFlow(c, { from: POD, to: '10.99.0.7:80', proto: 'tcp', kind: 'connect' });
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.reason).toBe('TTL_EXPIRED');
    const err = t.value.packets.find((p) => p.role === 'icmp-error')!;
    expect([err.verdict, err.host, err.netns]).toEqual(['delivered', 'master', POD]);
    const last = t.value.events.filter((e) => e.packetId === err.packetId).at(-1)!;
    const ip = last.packet.find((l) => l.type === 'ipv4');
    expect(ip?.type === 'ipv4' && ip.dst).toBe('10.42.0.65');
  });

  it('back to the masquerading node: dropped there as a martian source (its own address), no ICMP', () => {
    const c = cluster(['master: ip route add 10.99.0.0/16 via 192.168.205.3', 'node1: ip route add 10.99.0.0/16 via 192.168.205.4']);
    const t = traceFlow(c, { from: POD, to: '10.99.0.7:80', proto: 'tcp', kind: 'connect' });
    if (!t.ok) throw new Error(t.error.message);
    expect([t.value.verdict, t.value.reason, t.value.packets[0]!.host]).toEqual(['dropped', 'IP_LOCAL_SOURCE', 'master']);
    expect(t.value.packets).toHaveLength(1);
  });
});

describe('connections that close', () => {
  it('give their client port back and leave no conntrack entry behind', () => {
    const c = cluster();
    const flow = { from: POD, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } as const;
    const src = c.pods.get(POD)!;
    const before = src.listeners.length;
    // all but three local ports held by other sockets: fifty connections in a row still get one
    for (let p = EPHEMERAL_PORTS.low + 3; p <= EPHEMERAL_PORTS.high; p++) src.listeners.push({ proto: 'tcp', port: p, process: 'other' });
    const held = src.listeners.length;
    const connect = closedConnections(c);
    for (let i = 0; i < 50; i++) expect(connect(flow).ok).toBe(true);
    expect(src.listeners.length).toBe(held);
    expect(held - before).toBe(EPHEMERAL_PORTS.high - EPHEMERAL_PORTS.low - 2);
    expect(src.conntrack.connections).toHaveLength(0);
  });

  it('kept open, they run out of local ports with connect\'s EADDRNOTAVAIL instead of looping', () => {
    const c = cluster();
    const src = c.pods.get(POD)!;
    for (let p = EPHEMERAL_PORTS.low; p <= EPHEMERAL_PORTS.high; p++) src.listeners.push({ proto: 'tcp', port: p, process: 'client' });
    const t = traceFlow(c, { from: POD, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' });
    expect(t.ok).toBe(false);
    expect(!t.ok && t.error.message).toMatch(/^connect: Cannot assign requested address — all 28232 local ports/);
  });
});
