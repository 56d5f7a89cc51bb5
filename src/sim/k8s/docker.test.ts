import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, simulate } from '../api.ts';
import type { FlowSpec, SimRequest } from '../api-types.ts';
import { iptablesSave } from '../cli/iptables.ts';
import type { VethDevice } from '../linux/devices.ts';
import type { Ipv4Layer, TcpLayer } from '../net/packet.ts';
import { DOCKER_HOST_YAML } from '../scenarios/docker-host.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';
import type { Cluster } from './cluster.ts';
import { resolveDestination, resolveSource, traceFlow, traceroute } from './flows.ts';

const HOST = 'docker-host';

function cluster(seed = 1, yaml?: string): Cluster {
  const c = loadScenario({ ...(yaml ? { cluster: yaml } : { preset: 'docker' }), modes: {}, seed, before: [] });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

function trace(from: string, to: string, extra: Partial<FlowSpec> = {}, yaml?: string): Trace {
  const req: SimRequest = { ...(yaml ? { cluster: yaml } : { preset: 'docker' }), modes: {}, seed: 1, before: [], flow: { from, to, proto: 'tcp', kind: 'connect', ...extra } };
  const r = simulate(req);
  if (!r.ok) throw new Error(`${r.error.where}: ${r.error.message}`);
  return r.value.trace;
}

const request = (t: Trace): TraceEvent[] => t.events.filter((e) => e.packetId === 0);
const ipOf = (e: TraceEvent): Ipv4Layer => e.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
const tcpOf = (e: TraceEvent): TcpLayer => e.packet.find((l) => l.type === 'tcp') as TcpLayer;
const devNames = (c: Cluster, name: string) => [...c.containers.get(name)!.devices.keys()];
const networkId = (c: Cluster, name: string) => c.docker.daemons[0]!.networks.find((n) => n.name === name)!.id;

describe('seed §2a: the namespace each network mode gives a container', () => {
  const c = cluster();
  const root = c.hosts.get(HOST)!;

  it('bridge: its own namespace with lo and eth0, whose veth peer is a port of docker0', () => {
    const ns = c.containers.get('web')!;
    expect(ns).not.toBe(root);
    expect(ns.kind).toBe('container');
    expect(devNames(c, 'web')).toEqual(['lo', 'eth0']);
    const eth0 = ns.dev('eth0') as VethDevice;
    expect(eth0.kind).toBe('veth');
    expect(eth0.addrs.map((a) => `${a.addr}/${a.prefixLen}`)).toEqual(['172.17.0.2/16']);
    expect(eth0.mac).toBe('02:42:ac:11:00:02');
    expect(eth0.peer!.netns).toBe(root);
    expect(eth0.peer!.name).toMatch(/^veth[0-9a-f]{7}$/);
    expect(eth0.peer!.master?.name).toBe('docker0');
    expect(ns.fib.lookup('8.8.8.8' as never)!.route).toMatchObject({ via: '172.17.0.1', dev: 'eth0' });
  });

  it('docker0 is 172.17.0.1/16, a bridge in the host root namespace with a 02:42 MAC', () => {
    const br = root.dev('docker0')!;
    expect(br.kind).toBe('bridge');
    expect(br.addrs.map((a) => `${a.addr}/${a.prefixLen}`)).toEqual(['172.17.0.1/16']);
    expect(br.mac).toMatch(/^02:42:/);
    expect(root.fib.lookup('172.17.9.9' as never)!.route).toMatchObject({ dev: 'docker0', proto: 'kernel', scope: 'link', src: '172.17.0.1' });
  });

  it('user-defined network: eth0 on a br-<12 hex of the network id> bridge, 172.18.0.0/16 from the default pools', () => {
    const brName = `br-${networkId(c, 'backend').slice(0, 12)}`;
    expect(root.dev(brName)?.addrs.map((a) => `${a.addr}/${a.prefixLen}`)).toEqual(['172.18.0.1/16']);
    const eth0 = c.containers.get('db')!.dev('eth0') as VethDevice;
    expect(eth0.addrs[0]!.addr).toBe('172.18.0.2');
    expect(eth0.peer!.master?.name).toBe(brName);
  });

  it('host: no namespace of its own — the container is the host root namespace, its listener among the host\'s', () => {
    expect(c.containers.get('hostnet')).toBe(root);
    expect(c.world.ns(HOST, 'hostnet')).toBeUndefined();
    expect(root.listeners).toContainEqual({ proto: 'tcp', port: 80, process: 'nginx' });
  });

  it('container: the very same NetNs object as the joined container, and no device of its own', () => {
    expect(c.containers.get('sidecar')).toBe(c.containers.get('web'));
    expect(c.containers.get('web')!.name).toBe('web+sidecar');
    expect(devNames(c, 'sidecar')).toEqual(['lo', 'eth0']);
    // one veth per container with an endpoint on a bridge: web, nginx-pod, db
    expect([...root.devices.values()].filter((d) => d.kind === 'veth')).toHaveLength(3);
  });

  it('none: its own namespace with only lo', () => {
    const ns = c.containers.get('batch')!;
    expect(ns).not.toBe(root);
    expect(devNames(c, 'batch')).toEqual(['lo']);
    expect(ns.fib.routes).toHaveLength(0);
  });

  it('a pod: pause, nginx and log-shipper share one namespace named after the pod', () => {
    const ns = c.containers.get('nginx-pod')!;
    expect(ns.name).toBe('nginx-pod');
    expect(c.containers.get('nginx')).toBe(ns);
    expect(c.containers.get('log-shipper')).toBe(ns);
    expect(devNames(c, 'nginx')).toEqual(['lo', 'eth0']);
    expect(ns.listeners.map((l) => `${l.process}:${l.port}`)).toEqual(['nginx:80', 'fluent-bit:24224']);
  });

  it('IPAM hands out 172.17.0.2, .3 … in start order', () => {
    expect(c.containers.get('nginx-pod')!.dev('eth0')!.addrs[0]!.addr).toBe('172.17.0.3');
  });

  it('dockerd turned ip_forward on and, as it had to, set FORWARD\'s policy to DROP', () => {
    expect(root.sysctl.ipForward).toBe(true);
    expect(root.nf.filter.get('FORWARD')!.policy).toBe('DROP');
    expect(root.sysctl.bridgeNfCallIptables).toBe(true);
  });
});

describe("dockerd's iptables rules, as libnetwork writes them", () => {
  const c = cluster();
  const root = c.hosts.get(HOST)!;
  const br = `br-${networkId(c, 'backend').slice(0, 12)}`;
  const rules = (table: 'filter' | 'nat') =>
    iptablesSave(root.nf, { counters: false, table })
      .split('\n')
      .filter((l) => l.startsWith('-A ') || l.startsWith(':'));

  it('filter: DOCKER-USER and DOCKER-ISOLATION-STAGE-1 first, then each bridge\'s four rules, newest network first', () => {
    expect(rules('filter')).toEqual([
      ':INPUT ACCEPT [0:0]',
      ':FORWARD DROP [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
      ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
      ':DOCKER-USER - [0:0]',
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
      `-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A FORWARD -o ${br} -j DOCKER`,
      `-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
      `-A FORWARD -i ${br} -o ${br} -j ACCEPT`,
      '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -o docker0 -j DOCKER',
      '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
      '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
      `-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`,
      '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
      '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
      `-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`,
      '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
      '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
      '-A DOCKER-USER -j RETURN',
    ]);
  });

  it('nat: MASQUERADE per subnet, the DOCKER jumps, RETURN for bridge traffic, DNAT for -p 8080:80', () => {
    expect(rules('nat')).toEqual([
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':DOCKER - [0:0]',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
      '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
      `-A POSTROUTING -s 172.18.0.0/16 ! -o ${br} -j MASQUERADE`,
      '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
      '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
      `-A DOCKER -i ${br} -j RETURN`,
      '-A DOCKER -i docker0 -j RETURN',
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
    ]);
  });

  it('the userland proxy listens on the published host port', () => {
    expect(root.listeners).toContainEqual({ proto: 'tcp', port: 8080, process: 'docker-proxy' });
  });

  it('without the userland proxy: hairpin NAT instead (no RETURN, no ! -i on DNAT, no 127.0.0.0/8 exception)', () => {
    const yaml = DOCKER_HOST_YAML.replace('    gateway: 192.168.205.1\n- apiVersion: kube-packet-lab.dev/v1\n  kind: DockerNetwork', '    gateway: 192.168.205.1\n    userlandProxy: false\n- apiVersion: kube-packet-lab.dev/v1\n  kind: DockerNetwork');
    const c2 = cluster(1, yaml);
    const nat = iptablesSave(c2.hosts.get(HOST)!.nf, { counters: false, table: 'nat' });
    expect(nat).toContain('-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER\n');
    expect(nat).toContain('-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE\n');
    expect(nat).toContain('-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n');
    expect(nat).not.toContain('-j RETURN');
    expect(c2.hosts.get(HOST)!.listeners.some((l) => l.process === 'docker-proxy')).toBe(false);
    expect((c2.containers.get('web')!.dev('eth0') as VethDevice).peer!.hairpin).toBe(true);
  });
});

describe('seed §2a container mode and the pod: processes of one namespace talk over lo', () => {
  it('sidecar → 127.0.0.1:80 is delivered to nginx in web\'s namespace, crossing only lo', () => {
    const t = trace('sidecar', '127.0.0.1:80');
    expect(t.verdict).toBe('delivered');
    const es = request(t);
    expect(new Set(es.map((e) => `${e.host}/${e.netns}`))).toEqual(new Set([`${HOST}/web+sidecar`]));
    expect(new Set(es.filter((e) => e.dev).map((e) => e.dev))).toEqual(new Set(['lo']));
    expect(es.at(-1)!.kind).toBe('deliver');
    expect(es.at(-1)!.explanation).toContain('nginx');
    expect(t.packets.map((p) => `${p.role}@${p.netns}`)).toEqual(['request@web+sidecar', 'reply@web+sidecar', 'ack@web+sidecar', 'fin@web+sidecar', 'ack@web+sidecar', 'fin@web+sidecar', 'ack@web+sidecar']);
  });

  it("the pod's nginx → log-shipper on 127.0.0.1:24224 over lo, never leaving the pod's namespace", () => {
    const t = trace('nginx', '127.0.0.1:24224');
    expect(t.verdict).toBe('delivered');
    const es = request(t);
    expect(new Set(es.map((e) => e.netns))).toEqual(new Set(['nginx-pod']));
    expect(new Set(es.filter((e) => e.dev).map((e) => e.dev))).toEqual(new Set(['lo']));
    expect(es.at(-1)!.explanation).toContain('fluent-bit');
    expect(ipOf(es.at(-1)!)).toMatchObject({ src: '127.0.0.1', dst: '127.0.0.1', ttl: 64 });
  });
});

describe('seed §2b: bridge mode on the Docker host', () => {
  it('container → container on docker0 is bridged: veth, docker0 FDB, veth; TTL unchanged', () => {
    const t = trace('web', 'nginx-pod:80');
    expect(t.verdict).toBe('delivered');
    const es = request(t);
    expect(es.some((e) => e.kind === 'forward')).toBe(false);
    expect(es.find((e) => e.kind === 'route' && e.netns === 'web+sidecar')!.verdict).toBe('dev eth0 (directly connected)');
    expect(es.some((e) => e.kind === 'fdb' && e.dev === 'docker0') || es.some((e) => e.kind === 'bridge' && e.dev === 'docker0')).toBe(true);
    // br_netfilter: bridged IPv4 crosses FORWARD, accepted by the icc rule -i docker0 -o docker0
    const accept = es.filter((e) => e.kind === 'rule' && e.ref?.chain === 'FORWARD').at(-1)!;
    expect(accept.verdict).toBe('ACCEPT');
    expect(accept.ref?.text).toContain('docker0');
    const last = es.at(-1)!;
    expect(last.netns).toBe('nginx-pod');
    expect(ipOf(last)).toMatchObject({ src: '172.17.0.2', dst: '172.17.0.3', ttl: 64 });
  });

  it('container → outside leaves MASQUERADEd to the host\'s address, and the reply is translated back', () => {
    const t = trace('web', '203.0.113.10:80');
    expect(t.verdict).toBe('delivered');
    const es = request(t);
    const nat = es.find((e) => e.kind === 'nat' && e.host === HOST)!;
    expect(nat.hook).toBe('POSTROUTING');
    expect(nat.changed).toContainEqual({ layer: expect.any(Number), field: 'src', from: '172.17.0.2', to: '192.168.205.10' });
    expect(es.find((e) => e.kind === 'rule' && e.verdict === 'MASQUERADE')!.ref?.text).toContain('172.17.0.0/16');
    const delivered = es.at(-1)!;
    expect(delivered.host).toBe('example');
    expect(ipOf(delivered)).toMatchObject({ src: '192.168.205.10', dst: '203.0.113.10', ttl: 62 });
    const reply = t.events.filter((e) => e.packetId === 1).at(-1)!;
    expect(reply.netns).toBe('web+sidecar');
    expect(ipOf(reply).dst).toBe('172.17.0.2');
  });

  it('a LAN client reaches the published port 8080: DNAT in nat DOCKER to 172.17.0.2:80, ACCEPT in filter DOCKER', () => {
    const t = trace('client', '192.168.205.10:8080');
    expect(t.verdict).toBe('delivered');
    const es = request(t);
    const dnat = es.find((e) => e.kind === 'rule' && e.ref?.chain === 'DOCKER' && e.hook === 'PREROUTING' && e.verdict?.startsWith('DNAT'))!;
    expect(dnat.verdict).toBe('DNAT to:172.17.0.2:80');
    expect(es.find((e) => e.kind === 'rule' && e.ref?.nfTable === 'filter' && e.ref.chain === 'DOCKER')!.verdict).toBe('ACCEPT');
    const last = es.at(-1)!;
    expect(last.netns).toBe('web+sidecar');
    expect(ipOf(last)).toMatchObject({ src: '192.168.205.100', dst: '172.17.0.2', ttl: 63 });
    expect(tcpOf(last).dstport).toBe(80);
    const reply = t.events.filter((e) => e.packetId === 1).at(-1)!;
    expect(reply.host).toBe('client');
    expect(ipOf(reply).src).toBe('192.168.205.10');
    expect(tcpOf(reply).srcport).toBe(8080);
  });

  it('host mode: a flow to the host\'s port 80 is delivered to nginx in the host root namespace', () => {
    const t = trace('client', '192.168.205.10:80');
    expect(t.verdict).toBe('delivered');
    const last = request(t).at(-1)!;
    expect([last.host, last.netns, last.kind]).toEqual([HOST, 'root', 'deliver']);
    expect(last.explanation).toContain('nginx');
  });

  it('a container on docker0 cannot reach one on another bridge network: DOCKER-ISOLATION-STAGE-2 drops it', () => {
    const t = trace('web', 'db:5432');
    expect(t.verdict).toBe('dropped');
    const drop = request(t).filter((e) => e.kind === 'rule').at(-1)!;
    expect([drop.ref?.chain, drop.verdict]).toEqual(['DOCKER-ISOLATION-STAGE-2', 'DROP']);
  });

  it("DOCKER-USER is where a user's own rule goes: a DROP there stops the published port before Docker's rules", () => {
    const r = simulate({ preset: 'docker', modes: {}, seed: 1, before: ['docker-host: iptables -I DOCKER-USER -s 192.168.205.100 -j DROP'], flow: { from: 'client', to: '192.168.205.10:8080', proto: 'tcp', kind: 'connect' } });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.trace.verdict).toBe('dropped');
    const last = request(r.value.trace).filter((e) => e.kind === 'rule').at(-1)!;
    expect([last.ref?.chain, last.verdict]).toEqual(['DOCKER-USER', 'DROP']);
  });

  it('none: no route anywhere but lo', () => {
    const t = trace('batch', '203.0.113.10:80');
    expect([t.verdict, t.reason]).toEqual(['dropped', 'ENETUNREACH']);
  });

  it('containers resolve by name as sources and destinations; a host-mode one by the host\'s address', () => {
    expect(request(trace('client', 'hostnet:80')).at(-1)!.netns).toBe('root');
    expect(request(trace('client', 'docker-host:8080')).at(-1)!.netns).toBe('web+sidecar');
  });
});

describe('presets, topology and determinism', () => {
  it('the docker preset offers seed §2 flows, each ending as the seed says', () => {
    const r = simulate({ preset: 'docker', modes: {}, seed: 1, before: [], flow: { from: 'web', to: 'nginx-pod:80', proto: 'tcp', kind: 'connect' } });
    if (!r.ok) throw new Error(r.error.message);
    const ids = r.value.presets.map((p) => p.id);
    expect(ids).toEqual(['docker-bridge', 'docker-masquerade', 'docker-isolation', 'docker-published', 'docker-host-mode', 'docker-container-lo', 'docker-pod-lo', 'docker-none']);
    const expected: Record<string, string> = {
      'docker-bridge': 'delivered',
      'docker-masquerade': 'delivered',
      'docker-isolation': 'dropped',
      'docker-published': 'delivered',
      'docker-host-mode': 'delivered',
      'docker-container-lo': 'delivered',
      'docker-pod-lo': 'delivered',
      'docker-none': 'dropped',
    };
    for (const p of r.value.presets) {
      const s = simulate({ preset: 'docker', modes: {}, seed: 1, before: [], flow: p.flow });
      if (!s.ok) throw new Error(`${p.id}: ${s.error.message}`);
      expect(s.value.trace.verdict, p.id).toBe(expected[p.id]);
    }
  });

  it('the topology shows the Docker host and one container namespace per network stack', () => {
    const r = simulate({ preset: 'docker', modes: {}, seed: 1, before: [], flow: { from: 'web', to: 'nginx-pod:80', proto: 'tcp', kind: 'connect' } });
    if (!r.ok) throw new Error(r.error.message);
    const h = r.value.topology.hosts.find((x) => x.name === HOST)!;
    expect(h.role).toBe('docker-host');
    expect(h.ip).toBe('192.168.205.10');
    expect(h.namespaces.map((n) => `${n.name}:${n.kind}`)).toEqual(['root:root', 'web+sidecar:container', 'nginx-pod:container', 'db:container', 'batch:container']);
    expect(r.value.topology.segments.find((s) => s.name === 'lan')!.members).toContainEqual({ host: HOST, dev: 'enp0s1' });
  });

  it('IDs, veth names and MACs come from the seeded PRNG: same seed, same daemon', () => {
    const a = cluster(7).docker.daemons[0]!;
    const b = cluster(7).docker.daemons[0]!;
    expect(a.containers.map((x) => x.id)).toEqual(b.containers.map((x) => x.id));
    expect(a.containers.map((x) => x.endpoint?.hostVeth)).toEqual(b.containers.map((x) => x.endpoint?.hostVeth));
    expect(cluster(8).docker.daemons[0]!.containers[0]!.id).not.toBe(a.containers[0]!.id);
  });
});

describe('a cluster file of its own', () => {
  const base = `apiVersion: v1
kind: List
items:
- {apiVersion: kube-packet-lab.dev/v1, kind: Network, metadata: {name: lan}, spec: {cidr: 172.18.0.0/24, gateway: 172.18.0.1}}
- {apiVersion: kube-packet-lab.dev/v1, kind: DockerHost, metadata: {name: d1}, spec: {network: lan, address: 172.18.0.10/24}}
- {apiVersion: kube-packet-lab.dev/v1, kind: DockerNetwork, metadata: {name: front}}
- {apiVersion: kube-packet-lab.dev/v1, kind: DockerNetwork, metadata: {name: fixed}, spec: {subnet: 10.10.0.0/24, bridge: fixed0}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Container, metadata: {name: a}, spec: {image: nginx, network: fixed, ip: 10.10.0.50, publish: ["127.0.0.1:9000:80", "80"]}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Container, metadata: {name: b}, spec: {image: nginx, network: fixed}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Container, metadata: {name: c}, spec: {image: nginx, network: front}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Container, metadata: {name: j2}, spec: {image: busybox, network: "container:j1"}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Container, metadata: {name: j1}, spec: {image: busybox, network: "container:c"}}
`;
  const c = cluster(1, base);
  const d = c.docker.daemons[0]!;
  const ip = (n: string) => c.containers.get(n)!.dev('eth0')!.addrs[0]!.addr;

  it('a network without --subnet skips pools overlapping the LAN (172.18.0.0/16 → 172.19.0.0/16)', () => {
    expect(d.networks.find((n) => n.name === 'front')!.subnet).toBe('172.19.0.0/16');
    expect(ip('c')).toBe('172.19.0.2');
  });

  it('--ip is honoured and kept out of the sequential allocation; a named bridge keeps its name', () => {
    expect(ip('a')).toBe('10.10.0.50');
    expect(ip('b')).toBe('10.10.0.2');
    expect(c.hosts.get('d1')!.dev('fixed0')?.kind).toBe('bridge');
  });

  it('-p with a host address DNATs only that address; -p 80 gets a host port from 32768', () => {
    const nat = iptablesSave(c.hosts.get('d1')!.nf, { counters: false, table: 'nat' });
    expect(nat).toContain('-A DOCKER -d 127.0.0.1/32 ! -i fixed0 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 10.10.0.50:80\n');
    expect(nat).toContain('-A DOCKER ! -i fixed0 -p tcp -m tcp --dport 32768 -j DNAT --to-destination 10.10.0.50:80\n');
  });

  it('container:<name> joins follow a chain to the owner, whatever the file order', () => {
    expect(c.containers.get('j2')).toBe(c.containers.get('c'));
    expect(c.containers.get('c')!.name).toBe('c+j2+j1');
  });
});

describe('properties of the Docker host', () => {
  const c = cluster();
  const sources = ['web', 'sidecar', 'nginx-pod', 'nginx', 'log-shipper', 'db', 'hostnet', 'batch', 'docker-host', 'client', 'example'];
  const targets = ['web:80', 'nginx-pod:80', 'nginx-pod:24224', 'db:5432', '192.168.205.10:8080', '192.168.205.10:80', '192.168.205.10:22', '127.0.0.1:80', '127.0.0.1:8080', '172.17.0.1:22', '203.0.113.10:80', '172.17.0.9:80'];

  it('every packet ends delivered or dropped with a reason; a TCP reply comes from the address dialled', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.constantFrom(...targets), fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const), (from, to, proto) => {
        const fresh = cluster();
        const dst = proto === 'icmp' ? to.split(':')[0]! : to;
        const t = traceFlow(fresh, { from, to: dst, proto, kind: proto === 'icmp' ? 'ping' : 'connect' });
        if (!t.ok) throw new Error(t.error.message);
        for (const p of t.value.packets) {
          expect(['delivered', 'dropped']).toContain(p.verdict);
          if (p.verdict === 'dropped') expect(p.reason).toBeTruthy();
        }
        expect(t.value.events.length).toBeLessThan(2000);
        const reply = t.value.packets[1];
        const src = resolveSource(fresh, from)!;
        if (proto === 'tcp' && reply?.role === 'reply' && reply.verdict === 'delivered' && reply.host === src.host && reply.netns === src.name) {
          const last = t.value.events.filter((e) => e.packetId === 1).at(-1)!;
          const dialled = resolveDestination(fresh, to)!;
          expect(ipOf(last).src).toBe(dialled.ip);
          expect(tcpOf(last).srcport).toBe(dialled.port);
        }
      }),
      { numRuns: 60, seed: 42 },
    );
    expect(c.containers.size).toBe(8);
  });

  it('traceroute from a bridge container: docker0\'s address, the LAN gateway, the destination', () => {
    const r = traceroute(c, c.containers.get('web')!, '203.0.113.10' as never);
    expect(r.hops.map((h) => h.from)).toEqual(['172.17.0.1', '192.168.205.1', '203.0.113.10']);
  });
});
