import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Backend } from '../api-types.ts';
import { execCommand } from './exec.ts';
import { traceFlow } from '../k8s/flows.ts';

// `ip` on tunnels and on route types the packet path drops at, and the Felix ipsets, on the seed cluster.

function cluster(backend: Backend, before: string[] = []) {
  const c = loadScenario({ preset: 'seed', modes: { backend }, seed: 1, before });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

const run = (c: ReturnType<typeof cluster>, target: string, cmd: string) => execCommand(c, target, cmd);
const sh = (c: ReturnType<typeof cluster>, target: string, cmd: string) => {
  const r = run(c, target, cmd);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
};

describe('ip link add … type ipip', () => {
  const pair = [
    'master: ip link add ipip1 type ipip remote 192.168.205.3 local 192.168.205.4',
    'master: ip link set ipip1 up',
    'master: ip route replace 10.42.1.0/24 dev ipip1',
    'node1: ip link add ipip1 type ipip remote 192.168.205.4 local 192.168.205.3',
    'node1: ip link set ipip1 up',
  ];

  it('loads the module (tunl0 appears, down) and makes a point-to-point tunnel with pmtudisc, as iproute2 asks', () => {
    const c = cluster('vxlan', pair);
    expect(sh(c, 'master', 'ip -d link show ipip1')).toMatch(
      /^\d+: ipip1@NONE: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1480 .*\n {4}link\/ipip 192\.168\.205\.4 brd 192\.168\.205\.3 .*\n {4}ipip ipip remote 192\.168\.205\.3 local 192\.168\.205\.4 ttl inherit pmtudisc /,
    );
    expect(sh(c, 'master', 'ip link show tunl0')).toContain('tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN');
  });

  it('carries the seed’s cross-node SYN: encapsulated on master’s ipip1, received by node1’s ipip1', () => {
    const t = traceFlow(cluster('vxlan', pair), { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    if (!t.ok) throw new Error(t.error.message);
    const req = t.value.events.filter((e) => e.packetId === 0);
    expect(req.find((e) => e.kind === 'encap')).toMatchObject({ host: 'master', dev: 'ipip1' });
    expect(req.find((e) => e.kind === 'decap')).toMatchObject({ host: 'node1', dev: 'ipip1' });
    expect(t.value.verdict).toBe('delivered');
  });

  it('without a tunnel on node1 the IPIP packet has no handler there: protocol unreachable', () => {
    const t = traceFlow(cluster('vxlan', pair.slice(0, 3)), { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.events.filter((e) => e.packetId === 0).at(-1)).toMatchObject({ host: 'node1', kind: 'drop', reason: 'NO_PROTOCOL_HANDLER' });
  });

  it('answers as iproute2 does: tunl0 exists once the module is in, other kinds are not modelled, del keeps the fallback', () => {
    const c = cluster('vxlan');
    expect(run(c, 'master', 'ip link add tunl0 type ipip')).toMatchObject({ ok: false, error: { message: 'RTNETLINK answers: File exists' } });
    expect(run(c, 'master', 'ip link add gre1 type gre')).toMatchObject({ ok: false });
    expect(run(c, 'master', 'ip link add t1 type ipip remote 10.0.0.x')).toMatchObject({ ok: false, error: { message: 'Error: an inet address is expected rather than "10.0.0.x".' } });
    expect(run(c, 'master', 'ip link del tunl0')).toMatchObject({ ok: true });
    expect(sh(c, 'master', 'ip link')).toContain('tunl0@NONE');
  });
});

describe('ip route add blackhole|unreachable|prohibit', () => {
  it('prints them as iproute2 does and refuses a device or gateway for them', () => {
    const c = cluster('vxlan', ['master: ip route add blackhole 10.99.0.0/16 proto bird', 'master: ip route add unreachable 10.98.0.0/16']);
    const routes = sh(c, 'master', 'ip route');
    expect(routes).toContain('blackhole 10.99.0.0/16 proto bird \n');
    expect(routes).toContain('unreachable 10.98.0.0/16 \n');
    expect(run(c, 'master', 'ip route add blackhole 10.97.0.0/16 dev enp0s1')).toMatchObject({ ok: false, error: { message: 'Error: Gateway, device and multipath can not be specified for this route type.' } });
  });

  it('a forwarded packet that meets a blackhole is dropped without an ICMP error; an unreachable route answers host unreachable', () => {
    const flow = { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp' as const, kind: 'connect' as const };
    const bh = traceFlow(cluster('vxlan', ['master: ip route add blackhole 10.42.1.9/32']), flow);
    if (!bh.ok) throw new Error(bh.error.message);
    expect(bh.value.events.filter((e) => e.packetId === 0).at(-1)).toMatchObject({ host: 'master', kind: 'drop', reason: 'BLACKHOLE' });
    expect(bh.value.packets).toHaveLength(1);
    // the pod's busybox ping prints no ICMP error (it is "not our ping" to busybox): the trace shows it
    const un = traceFlow(cluster('vxlan', ['master: ip route add unreachable 10.42.1.9/32']), { ...flow, proto: 'icmp', kind: 'ping', to: '10.42.1.9' });
    if (!un.ok) throw new Error(un.error.message);
    const back = un.value.events.filter((e) => e.packetId === 1 && e.kind === 'deliver').at(-1)!;
    expect([back.netns, back.explanation]).toEqual(['nginx-test-7646687cc4-n8s9s', 'ICMP host unreachable from 10.42.0.1 reaches the socket that sent the original packet.']);
  });
});

describe("Felix's ipsets", () => {
  it('lists cali40all-hosts-net as a hash:net of every node, with Felix’s maxelem', () => {
    const out = sh(cluster('ipip'), 'master', 'ipset list cali40all-hosts-net');
    expect(out).toContain('Type: hash:net\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 1048576 ');
    expect(out).toContain('Members:\n192.168.205.4\n192.168.205.3\n192.168.205.5\n');
  });
});
