import { describe, expect, it } from 'vitest';
import { loadScenario, simulate } from '../api.ts';
import type { FlannelBackend, SimRequest } from '../api-types.ts';
import { execCommand } from '../cli/exec.ts';
import { traceFlow } from '../k8s/flows.ts';
import { frameLength } from '../net/encode.ts';
import type { Ipv4Layer, UdpLayer, VxlanLayer } from '../net/packet.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';

const N8S9S = 'nginx-test-7646687cc4-n8s9s';
const Z8XNQ = 'nginx-test-7646687cc4-z8xnq';

function trace(backend: FlannelBackend, before: string[] = [], to = '10.42.1.9:80', proto: 'tcp' | 'icmp' = 'tcp', size?: number): Trace {
  const req: SimRequest = { preset: 'seed', modes: { backend }, seed: 1, before, flow: { from: N8S9S, to, proto, kind: proto === 'icmp' ? 'ping' : 'connect', ...(size ? { size } : {}) } };
  const r = simulate(req);
  if (!r.ok) throw new Error(`${r.error.where}: ${r.error.message}`);
  return r.value.trace;
}

const request = (t: Trace): TraceEvent[] => t.events.filter((e) => e.packetId === 0);
const at = (es: TraceEvent[], host: string, kind: string, dev?: string) => es.find((e) => e.host === host && e.kind === kind && (dev === undefined || e.dev === dev));

function exec(target: string, command: string, backend: FlannelBackend = 'vxlan', before: string[] = []): string {
  const c = loadScenario({ preset: 'seed', modes: { backend }, seed: 1, before });
  if (!c.ok) throw new Error(c.error.message);
  const r = execCommand(c.value, target, command);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
}

describe('seed §6b: pod → pod across nodes over flannel VXLAN', () => {
  const t = trace('vxlan');
  const es = request(t);

  it('is delivered to z8xnq, the SYN-ACK and ACK come back, and the client closes first (FIN, ACK, FIN, ACK)', () => {
    expect(t.verdict).toBe('delivered');
    expect(t.packets.map((p) => `${p.role}@${p.netns}`)).toEqual([`request@${Z8XNQ}`, `reply@${N8S9S}`, `ack@${Z8XNQ}`, `fin@${Z8XNQ}`, `ack@${N8S9S}`, `fin@${N8S9S}`, `ack@${Z8XNQ}`]);
  });

  it('crosses cni0, the route via flannel.1, the permanent neighbour and the FDB entry, in that order', () => {
    const kinds = es.filter((e) => e.host === 'master' && e.netns === 'root').map((e) => `${e.kind}${e.dev ? ` ${e.dev}` : ''}`);
    const order = ['bridge cni0', 'route flannel.1', 'forward', 'neigh flannel.1', 'fdb flannel.1', 'encap flannel.1', 'route enp0s1', 'tx enp0s1'];
    let last = -1;
    for (const k of order) {
      const i = kinds.indexOf(k, last + 1);
      expect(i, `${k} after ${order[order.indexOf(k) - 1]}`).toBeGreaterThan(last);
      last = i;
    }
    expect(at(es, 'master', 'route', 'flannel.1')!.verdict).toBe('via 10.42.1.0 dev flannel.1 onlink');
    expect(at(es, 'master', 'neigh', 'flannel.1')!.verdict).toBe('62:c8:a9:ce:ca:4e');
    expect(at(es, 'master', 'fdb', 'flannel.1')!.verdict).toBe('dst 192.168.205.3');
  });

  it('encapsulates 192.168.205.4 → 192.168.205.3, UDP 8472, VNI 1, exactly 50 bytes more on the wire', () => {
    const encap = at(es, 'master', 'encap', 'flannel.1')!;
    const [outer, udp, vx] = encap.packet as [Ipv4Layer, UdpLayer, VxlanLayer];
    expect([outer.src, outer.dst, udp.dstport, vx.vni]).toEqual(['192.168.205.4', '192.168.205.3', 8472, 1]);
    const wire = es.find((e) => e.kind === 'wire')!;
    const innerFrame = at(es, 'master', 'tx', 'flannel.1')!.packet;
    expect(frameLength(wire.packet) - frameLength(innerFrame)).toBe(50);
  });

  it('is decapsulated by node1 flannel.1 and bridged by node1 cni0 to the pod veth', () => {
    expect(at(es, 'node1', 'decap', 'flannel.1')).toBeDefined();
    const fdb = es.find((e) => e.host === 'node1' && (e.kind === 'fdb' || e.kind === 'bridge') && e.dev === 'cni0')!;
    expect(fdb).toBeDefined();
    const deliver = es.at(-1)!;
    expect([deliver.kind, deliver.netns]).toEqual(['deliver', Z8XNQ]);
    const ip = deliver.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
    expect(ip.ttl).toBe(62);
  });
});

describe('seed §6a: the same packet over host-gw', () => {
  const es = request(trace('host-gw'));

  it('has no flannel.1 and no encapsulation, and leaves enp0s1 for 192.168.205.3', () => {
    expect(es.some((e) => e.dev === 'flannel.1' || e.kind === 'encap' || e.kind === 'decap')).toBe(false);
    expect(at(es, 'master', 'route', 'enp0s1')!.verdict).toBe('via 192.168.205.3 dev enp0s1');
    expect(es.find((e) => e.kind === 'wire')!.explanation).toContain("node1's enp0s1");
    expect(es.at(-1)!.netns).toBe(Z8XNQ);
  });
});

describe('seed §6b: ping and traceroute from n8s9s', () => {
  it('ping -c 3 10.42.1.9 shows ttl=62 three times (busybox format)', () => {
    const out = exec(N8S9S, 'ping -c 3 10.42.1.9');
    expect(out).toContain('PING 10.42.1.9 (10.42.1.9): 56 data bytes');
    expect(out.match(/64 bytes from 10\.42\.1\.9: seq=\d ttl=62 time=/g)).toHaveLength(3);
    expect(out).toContain('3 packets transmitted, 3 packets received, 0% packet loss');
  });

  it('traceroute -n 10.42.1.9 shows 10.42.0.1, 10.42.1.0, 10.42.1.9', () => {
    const hops = exec(N8S9S, 'traceroute -n 10.42.1.9').split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));
    expect(hops).toEqual(['1 10.42.0.1', '2 10.42.1.0', '3 10.42.1.9']);
  });

  it('over host-gw the second hop is node1 itself, 192.168.205.3', () => {
    const out = exec(N8S9S, 'traceroute -n 10.42.1.9', 'host-gw');
    expect(out).toMatch(/^ 2 {2}192\.168\.205\.3 /m);
  });

  it('pod → pod on one node is bridged: TTL stays 64', () => {
    const c = loadScenario({ preset: 'seed', modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error();
    const t = traceFlow(c.value, { from: Z8XNQ, to: '10.42.1.6:80', proto: 'tcp', kind: 'connect' });
    if (!t.ok) throw new Error();
    const es = request(t.value);
    expect(es.some((e) => e.kind === 'forward')).toBe(false);
    expect((es.at(-1)!.packet.find((l) => l.type === 'ipv4') as Ipv4Layer).ttl).toBe(64);
  });
});

describe('state drives behaviour', () => {
  it('without the route to 10.42.1.0/24 the packet takes the default route and dies at the gateway', () => {
    const t = trace('vxlan', ['master: ip route del 10.42.1.0/24']);
    expect(t.verdict).toBe('dropped');
    const r = request(t);
    expect(at(r, 'master', 'route', 'enp0s1')!.verdict).toBe('via 192.168.205.1 dev enp0s1');
    expect(r.at(-1)).toMatchObject({ host: 'gateway', kind: 'drop', reason: 'ENETUNREACH' });
  });

  it("without node1's FDB entry master's flannel.1 has no VTEP to send to", () => {
    const t = trace('vxlan', ['master: bridge fdb del 62:c8:a9:ce:ca:4e dev flannel.1']);
    expect(request(t).at(-1)).toMatchObject({ host: 'master', kind: 'drop', dev: 'flannel.1', reason: 'VXLAN_NO_REMOTE' });
  });

  it('with flannel.1 MTU below the packet, DF makes master answer fragmentation needed', () => {
    const t = trace('vxlan', ['master: ip link set dev flannel.1 mtu 1000'], '10.42.1.9', 'icmp', 1400);
    expect(request(t).at(-1)).toMatchObject({ host: 'master', kind: 'drop', reason: 'FRAG_NEEDED' });
    const err = t.events.find((e) => e.packetId === 1 && e.kind === 'deliver')!;
    expect(err.netns).toBe(N8S9S);
    expect(err.packet.find((l) => l.type === 'icmp')).toMatchObject({ icmp_type: 3, code: 4, mtu: 1000 });
  });

  it('with ip_forward off on node1 the packet dies there', () => {
    const t = trace('vxlan', ['node1: sysctl -w net.ipv4.ip_forward=0']);
    expect(request(t).at(-1)).toMatchObject({ host: 'node1', kind: 'drop', reason: 'IP_FORWARD_DISABLED' });
  });
});

describe('any cluster file works with no code change', () => {
  for (const preset of ['five-nodes', 'pod-cidr-25']) {
    it(`${preset}: the cross-node preset flow is delivered with TTL 62`, () => {
      const base = simulate({ preset, modes: {}, seed: 1, before: [], flow: { from: 'app-0-0', to: '10.42.0.2:80', proto: 'tcp', kind: 'connect' } });
      if (!base.ok) throw new Error(base.error.message);
      const flow = base.value.presets.find((p) => p.id === 'pod-pod-cross-node')!.flow;
      const r = simulate({ preset, modes: {}, seed: 1, before: [], flow });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.trace.verdict).toBe('delivered');
      const last = r.value.trace.events.filter((e) => e.packetId === 0).at(-1)!;
      expect((last.packet.find((l) => l.type === 'ipv4') as Ipv4Layer).ttl).toBe(62);
      expect(r.value.topology.hosts.filter((h) => h.role === 'master' || h.role === 'node')).toHaveLength(preset === 'five-nodes' ? 5 : 3);
    });
  }
});
