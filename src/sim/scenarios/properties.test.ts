import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import { traceFlow } from '../k8s/flows.ts';
import type { Ipv4Layer, TcpLayer } from '../net/packet.ts';
import { generateClusterYaml } from './generate.ts';

/**
 * Properties over random valid clusters: whatever the shape, every packet ends delivered or
 * dropped with a reason, walks stay bounded, and a connection to a Service is answered from the
 * address the client dialled.
 */
const clusterArb = fc.record({
  nodes: fc.integer({ min: 2, max: 6 }),
  podsPerNode: fc.integer({ min: 1, max: 4 }),
  services: fc.integer({ min: 1, max: 4 }),
  endpointsPerService: fc.integer({ min: 1, max: 3 }),
  podPrefix: fc.constantFrom(24, 25, 26),
  backend: fc.constantFrom('vxlan' as const, 'host-gw' as const, 'udp' as const, 'ipip' as const, 'bgp' as const, 'crosssubnet' as const),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

describe('properties of random clusters', () => {
  it('every packet of every flow ends delivered or dropped with a reason, within bounds', () => {
    fc.assert(
      fc.property(clusterArb, fc.nat(), fc.nat(), fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const), (o, a, b, proto) => {
        const c = loadScenario({ cluster: generateClusterYaml(o), modes: { backend: o.backend }, seed: o.seed, before: [] });
        if (!c.ok) throw new Error(c.error.message);
        const pods = c.value.spec.pods;
        const from = pods[a % pods.length]!;
        const targets = [...pods.map((p) => `${p.ip}:80`), ...c.value.spec.services.map((s) => `${s.clusterIP}:80`), `${c.value.spec.nodes[0]!.internalIP}:30080`];
        const to = targets[b % targets.length]!;
        const t = traceFlow(c.value, { from: from.name, to: proto === 'icmp' ? to.split(':')[0]! : to, proto, kind: proto === 'icmp' ? 'ping' : 'connect' });
        if (!t.ok) throw new Error(t.error.message);
        expect(t.value.packets.length).toBeGreaterThan(0);
        for (const p of t.value.packets) {
          expect(['delivered', 'dropped']).toContain(p.verdict);
          if (p.verdict === 'dropped') expect(p.reason).toBeTruthy();
        }
        expect(t.value.events.length).toBeLessThan(2000);
      }),
      { numRuns: 40 },
    );
  });

  it('a TCP connection to a Service is answered from the ClusterIP:port the client dialled', () => {
    fc.assert(
      fc.property(clusterArb, fc.nat(), fc.nat(), (o, a, b) => {
        const c = loadScenario({ cluster: generateClusterYaml(o), modes: { backend: o.backend }, seed: o.seed, before: [] });
        if (!c.ok) throw new Error(c.error.message);
        const from = c.value.spec.pods[a % c.value.spec.pods.length]!;
        const svc = c.value.spec.services[b % c.value.spec.services.length]!;
        const t = traceFlow(c.value, { from: from.name, to: `${svc.clusterIP}:80`, proto: 'tcp', kind: 'connect' });
        if (!t.ok) throw new Error(t.error.message);
        const reply = t.value.packets.find((p) => p.role === 'reply')!;
        expect(reply).toMatchObject({ verdict: 'delivered', netns: from.name });
        const last = t.value.events.filter((e) => e.packetId === reply.packetId).at(-1)!;
        const ip = last.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
        const tcp = last.packet.find((l) => l.type === 'tcp') as TcpLayer;
        expect([ip.src, tcp.srcport, ip.dst]).toEqual([svc.clusterIP, 80, from.ip]);
      }),
      { numRuns: 30 },
    );
  });
});
