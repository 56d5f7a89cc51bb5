import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Backend, FlowSpec, ProxyMode } from '../api-types.ts';
import { calicoVethName } from '../k8s/calico/cni.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { Ipv4Layer } from '../net/packet.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';
import { CLUSTER_PRESETS } from './clusters.ts';
import { N8S9S, run, sh } from './testing.ts';

// The seed's five ways across nodes (§1b): flannel host-gw and Calico BGP (underlay), flannel
// vxlan, Calico IPIP and flannel udp (overlay), each on the seed's three nodes.

const Z8XNQ = 'nginx-test-7646687cc4-z8xnq';
const KQBD = 'nginx-test-7646687cc4-5kqbd';

function cluster(backend: Backend, opts: { preset?: string; before?: string[]; proxy?: ProxyMode } = {}): Cluster {
  const c = loadScenario({ preset: opts.preset ?? 'seed', modes: { backend, ...(opts.proxy ? { proxy: opts.proxy } : {}) }, seed: 1, before: opts.before ?? [] });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

const connect = (from: string, to: string): FlowSpec => ({ from, to, proto: 'tcp', kind: 'connect' });
const request = (t: Trace) => t.events.filter((e) => e.packetId === 0);
const innerIp = (e: TraceEvent) => e.packet.filter((l): l is Ipv4Layer => l.type === 'ipv4').at(-1)!;
const hops = (out: string) =>
  out
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/).slice(1, 2).join(' '));

/** What each datapath must show on the seed cluster: master's routes to node1's pods, the ping TTL, the traceroute hops. */
const DATAPATHS: readonly { backend: Backend; routes: readonly string[]; ttl: number; hops: readonly string[] }[] = [
  { backend: 'host-gw', routes: ['10.42.1.0/24 via 192.168.205.3 dev enp0s1 '], ttl: 62, hops: ['10.42.0.1', '192.168.205.3', '10.42.1.9'] },
  { backend: 'bgp', routes: ['blackhole 10.42.0.64/26 proto bird ', '10.42.1.0/26 via 192.168.205.3 dev enp0s1 proto bird '], ttl: 62, hops: ['192.168.205.4', '192.168.205.3', '10.42.1.9'] },
  { backend: 'vxlan', routes: ['10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink '], ttl: 62, hops: ['10.42.0.1', '10.42.1.0', '10.42.1.9'] },
  { backend: 'ipip', routes: ['blackhole 10.42.0.64/26 proto bird ', '10.42.1.0/26 via 192.168.205.3 dev tunl0 proto bird onlink '], ttl: 62, hops: ['192.168.205.4', '10.42.1.0', '10.42.1.9'] },
  // flanneld's proxy decrements the TTL in both directions (proxy_amd64.c decrement_ttl) and
  // sends no time exceeded when it reaches 0 ("TODO"): two more hops, both silent
  { backend: 'udp', routes: ['10.42.0.0/16 dev flannel0 '], ttl: 60, hops: ['10.42.0.1', '*', '*', '10.42.1.0', '10.42.1.9'] },
];

describe.each(DATAPATHS)('$backend: pod → pod across nodes on the seed cluster', ({ backend, routes, ttl, hops: expected }) => {
  const c = cluster(backend);

  it('delivers the SYN to z8xnq and the SYN-ACK back', () => {
    const t = run(c, connect(N8S9S, '10.42.1.9:80'));
    expect(t.packets.map((p) => `${p.role}:${p.verdict}@${p.netns}`)).toEqual([`request:delivered@${Z8XNQ}`, `reply:delivered@${N8S9S}`, `ack:delivered@${Z8XNQ}`]);
  });

  it(`ip route on master has the datapath's routes`, () => {
    const table = sh(c, 'master', 'ip route').split('\n');
    for (const r of routes) expect(table).toContain(r);
  });

  it(`ping shows ttl=${ttl}`, () => {
    expect(sh(c, N8S9S, 'ping -c 2 10.42.1.9').match(new RegExp(`seq=\\d ttl=${ttl} `, 'g'))).toHaveLength(2);
  });

  it(`traceroute -n shows ${expected.join(', ')}`, () => {
    expect(hops(sh(c, N8S9S, 'traceroute -n 10.42.1.9'))).toEqual(expected);
  });
});

describe('calico: pods behind veths with no bridge, proxy ARP for 169.254.1.1', () => {
  const c = cluster('ipip');

  it('names the host veth cali + sha1("<namespace>.<pod>")[:11], gives it ee:ee:ee:ee:ee:ee and proxy_arp, and has no cni0', () => {
    const name = `cali${createHash('sha1').update(`default.${N8S9S}`).digest('hex').slice(0, 11)}`;
    expect(calicoVethName('default', N8S9S)).toBe(name);
    expect(sh(c, 'master', `ip link show ${name}`)).toContain('link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff');
    expect(sh(c, 'master', `sysctl net.ipv4.conf.${name}.proxy_arp`)).toBe(`net.ipv4.conf.${name}.proxy_arp = 1\n`);
    expect(sh(c, 'master', 'ip link')).not.toContain('cni0');
    expect(sh(c, 'master', 'ip route')).toContain(`10.42.0.65 dev ${name} scope link \n`);
    expect(sh(c, N8S9S, 'ip route')).toBe('default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n');
  });

  it('same-node pods talk through the host: two veths, a routed hop (TTL 63), the pod ARPs 169.254.1.1 and the cali veth answers with its own MAC', () => {
    const t = run(c, connect(Z8XNQ, '10.42.1.6:80'));
    const req = request(t);
    expect(t.verdict).toBe('delivered');
    expect(req.some((e) => e.kind === 'bridge' || e.kind === 'fdb')).toBe(false);
    const arp = req.find((e) => e.kind === 'arp' && e.netns === Z8XNQ)!;
    expect(arp.verdict).toBe('ee:ee:ee:ee:ee:ee');
    expect(arp.explanation).toContain('proxy_arp');
    const veths = req.filter((e) => e.kind === 'tx' && e.host === 'node1').map((e) => e.dev);
    expect(veths).toEqual(['eth0', calicoVethName('default', KQBD)]);
    expect(innerIp(req.at(-1)!).ttl).toBe(63);
    expect(sh(c, Z8XNQ, 'ip neigh')).toContain('169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee');
  });

  it('with proxy_arp off on the cali veth, nobody answers for 169.254.1.1 and the pod cannot send', () => {
    const veth = calicoVethName('default', Z8XNQ);
    const t = run(cluster('ipip', { before: [`node1: sysctl -w net.ipv4.conf.${veth}.proxy_arp=0`] }), connect(Z8XNQ, '10.42.1.6:80'));
    expect(request(t).at(-1)).toMatchObject({ netns: Z8XNQ, kind: 'drop', reason: 'NEIGH_FAILED' });
  });

  it('tunl0 is the fallback IPIP device, with the node\'s tunnel address from its block, as iproute2 prints it', () => {
    const link = sh(c, 'master', 'ip -d link show tunl0');
    expect(link).toMatch(/^3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n/);
    expect(link).toContain('    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n    ipip any remote any local any ttl inherit nopmtudisc ');
    expect(sh(c, 'master', 'ip addr show tunl0')).toContain('inet 10.42.0.64/32 scope global tunl0');
    // the module makes tunl0 in every namespace: pods have one too, never brought up
    expect(sh(c, N8S9S, 'ip link')).toContain('2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0');
  });

  it("Felix's chains carry the rule hashes a real node shows, interleaved with kube-proxy's", () => {
    const forward = sh(c, 'master', 'iptables -S FORWARD').split('\n');
    expect(forward[1]).toBe('-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD');
    expect(forward).toContain('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
    expect(forward.at(-2)).toBe('-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000');
    expect(sh(c, 'master', 'iptables -S cali-INPUT')).toContain('-A cali-INPUT -p ipencap -m comment --comment "cali:PajejrV4aFdkZojI" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT');
    expect(sh(c, 'master', 'iptables -t nat -S cali-nat-outgoing')).toMatch(/-A cali-nat-outgoing -m comment --comment "cali:[\w-]{16}" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst -j MASQUERADE --random-fully/);
    const post = sh(c, 'master', 'iptables -t nat -S POSTROUTING').split('\n');
    // appended, so kube-proxy's MASQUERADE and its mark clearing come first
    expect(post.findIndex((l) => l.includes('cali-POSTROUTING'))).toBeGreaterThan(post.findIndex((l) => l.includes('KUBE-POSTROUTING')));
  });

  it('the IPIP request crosses cali-FORWARD, leaves as protocol 4 from 192.168.205.4 to 192.168.205.3 and is accepted by cali-INPUT on node1', () => {
    const req = request(run(cluster('ipip'), connect(N8S9S, '10.42.1.9:80')));
    expect(req.some((e) => e.host === 'master' && e.ref?.chain === 'cali-fw-' + calicoVethName('default', N8S9S))).toBe(true);
    const encap = req.find((e) => e.kind === 'encap')!;
    expect(encap.dev).toBe('tunl0');
    const wire = req.find((e) => e.kind === 'wire')!;
    const [outer, inner] = wire.packet.filter((l): l is Ipv4Layer => l.type === 'ipv4');
    expect([outer!.src, outer!.dst, outer!.proto, outer!.ttl, inner!.ttl]).toEqual(['192.168.205.4', '192.168.205.3', 4, 63, 63]);
    expect(req.some((e) => e.host === 'node1' && e.ref?.chain === 'cali-INPUT' && e.verdict === 'ACCEPT')).toBe(true);
    expect(req.find((e) => e.kind === 'decap')).toMatchObject({ host: 'node1', dev: 'tunl0' });
  });

  it('calicoctl get ippool -o wide and calicoctl node status print the pool and the node-to-node mesh', () => {
    expect(sh(c, 'master', 'calicoctl get ippool -o wide')).toBe(
      'NAME                  CIDR           NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR   ASSIGNMENTMODE   \n' +
        'default-ipv4-ippool   10.42.0.0/16   true   Always     Never       false      false              all()      Automatic        \n\n',
    );
    const status = sh(c, 'node1', 'calicoctl node status');
    expect(status).toContain('Calico process is running.\n\nIPv4 BGP status\n');
    expect(status).toMatch(/\| 192\.168\.205\.4 \| node-to-node mesh \| up {4}\| \d\d:\d\d:\d\d \| Established \|\n\| 192\.168\.205\.5 \| node-to-node mesh \|/);
  });
});

describe('two subnets: node2 behind the gateway', () => {
  const toNode2 = connect(N8S9S, '10.42.2.6:80');

  it('CrossSubnet uses tunl0 only across the router: node1 is reached directly, node2 through IPIP', () => {
    const c = cluster('crosssubnet', { preset: 'two-subnets' });
    const routes = sh(c, 'master', 'ip route');
    expect(routes).toContain('10.42.1.0/26 via 192.168.205.3 dev enp0s1 proto bird \n');
    expect(routes).toContain('10.42.2.0/26 via 192.168.206.5 dev tunl0 proto bird onlink \n');
    expect(request(run(c, connect(N8S9S, '10.42.1.9:80'))).some((e) => e.kind === 'encap')).toBe(false);
    const t = run(c, toNode2);
    expect(t.verdict).toBe('delivered');
    expect(request(t).find((e) => e.kind === 'encap')).toMatchObject({ host: 'master', dev: 'tunl0' });
  });

  it('ipipMode Never: BIRD resolves node2 through the gateway, which has no route to the pod block — nor back to the pod to say so', () => {
    const c = cluster('bgp', { preset: 'two-subnets' });
    expect(sh(c, 'master', 'ip route')).toContain('10.42.2.0/26 via 192.168.205.1 dev enp0s1 proto bird \n');
    const t = run(c, toNode2);
    const drop = request(t).at(-1)!;
    expect(drop).toMatchObject({ host: 'gateway', kind: 'drop', reason: 'ENETUNREACH' });
    expect(drop.explanation).toContain('there is no route back to 10.42.0.65');
    expect(t.packets).toHaveLength(1);
  });
});

describe('flannel udp: flanneld in user space on both nodes', () => {
  const c = cluster('udp');

  it('flannel0 is a TUN device with MTU NIC − 28, the lease address as /32 and the whole network routed to it', () => {
    expect(sh(c, 'master', 'ip -d link show flannel0')).toBe(
      '3: flannel0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1472 qdisc fq_codel state UNKNOWN mode DEFAULT group default qlen 500\n' +
        '    link/none  promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n' +
        '    tun type tun pi off vnet_hdr off persist off addrgenmode random numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n',
    );
    expect(sh(c, 'master', 'ip addr show flannel0')).toContain('inet 10.42.0.0/32 scope global flannel0');
    expect(sh(c, 'master', 'ip link show cni0')).toContain('mtu 1472');
  });

  it('the trace leaves the kernel for flanneld and comes back on both nodes, and the UDP datagram goes to port 8285', () => {
    const req = request(run(c, connect(N8S9S, '10.42.1.9:80')));
    const user = req.filter((e) => e.kind === 'user');
    expect(new Set(user.map((e) => e.host))).toEqual(new Set(['master', 'node1']));
    expect(req.find((e) => e.kind === 'user' && e.host === 'master')!.explanation).toContain('read(2)s it from /dev/net/tun');
    expect(req.find((e) => e.kind === 'decap' && e.host === 'node1')).toMatchObject({ dev: 'flannel0', verdict: 'write flannel0' });
    const ttlChanges = user.flatMap((e) => e.changed.filter((ch) => ch.field === 'ttl').map((ch) => `${e.host}:${ch.from}→${ch.to}`));
    expect(ttlChanges).toEqual(['master:63→62', 'node1:62→61']);
    const wire = req.find((e) => e.kind === 'wire')!;
    expect(wire.packet.map((l) => l.type)).toEqual(['ethernet', 'ipv4', 'udp', 'ipv4', 'tcp']);
    expect(wire.packet[2]).toMatchObject({ srcport: 8285, dstport: 8285 });
  });

  it("deleting the far node's lease drops the packet in flanneld; the ICMP error it writes back into flannel0 has master's own address as its source, so master's kernel drops it as a martian", () => {
    const t = run(cluster('udp', { before: ['master: kubectl delete node node1'] }), connect(N8S9S, '10.42.1.9:80'));
    const drop = request(t).at(-1)!;
    expect(drop).toMatchObject({ host: 'master', kind: 'drop', reason: 'FLANNELD_NO_ROUTE' });
    expect(drop.explanation).toContain('find_route: no lease covers 10.42.1.9');
    const icmp = t.events.filter((e) => e.packetId === 1);
    expect(icmp[0]!.explanation).toContain('writes it into flannel0');
    // send_net_unreachable: from the TUN address, TTL 8 — and fib_validate_source refuses a local source
    expect(icmp[0]!.packet.find((l) => l.type === 'ipv4')).toMatchObject({ src: '10.42.0.0', dst: '10.42.0.65', ttl: 8 });
    expect(icmp.at(-1)).toMatchObject({ host: 'master', kind: 'drop', dev: 'flannel0', reason: 'IP_LOCAL_SOURCE' });
  });

  // what the real kernel printed with the export's flanneld (npm run conformance, seed udp)
  it('an echo one byte bigger than flannel0 is fragmented before it and crosses as one datagram per fragment: answered, ttl=61 (ttl=60 from a pod)', () => {
    const c = cluster('udp');
    expect(sh(c, 'master', 'ping -c 1 -s 1445 -M dont 10.42.1.9')).toContain('1453 bytes from 10.42.1.9: icmp_seq=1 ttl=61 ');
    expect(sh(c, N8S9S, 'ping -c 1 -s 1445 10.42.1.9')).toContain('1453 bytes from 10.42.1.9: seq=0 ttl=60 ');
    expect(sh(c, 'master', 'ping -c 1 -s 1445 -M do 10.42.1.9')).toContain('ping: local error: message too long, mtu=1472');
  });

  it("flanneld's tunnel is a UDP flow both ways, but not ASSURED after one connection: nf_conntrack_udp_packet wants traffic 2 s after the first packet", () => {
    const c = cluster('udp');
    run(c, connect(N8S9S, '10.42.1.9:80'));
    const tunnel = sh(c, 'master', 'conntrack -L').split('\n').find((l) => l.includes('sport=8285'))!;
    expect(tunnel).toMatch(/^udp {6}17 30 src=192\.168\.205\.4 dst=192\.168\.205\.3 sport=8285 dport=8285 src=192\.168\.205\.3 dst=192\.168\.205\.4 sport=8285 dport=8285 mark=0 use=1$/);
  });
});

describe('Services over every datapath', () => {
  const BACKENDS: readonly Backend[] = ['host-gw', 'bgp', 'vxlan', 'ipip', 'udp', 'crosssubnet'];

  it.each(BACKENDS.flatMap((b) => (['iptables', 'ipvs'] as const).map((p) => [b, p] as const)))('%s, %s: pod → ClusterIP is delivered with the pod as the source', (backend, proxy) => {
    const t = run(cluster(backend, { proxy }), connect(N8S9S, '10.43.6.58:80'));
    expect(t.packets.map((p) => p.verdict)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(innerIp(request(t).at(-1)!).src).toBe('10.42.0.65');
  });

  // KUBE-POSTROUTING's MASQUERADE takes the address of the device the packet leaves by
  // (inet_select_addr): the tunnel device's own address over an overlay, the NIC's underneath
  it.each([
    ['ipip', '10.42.0.64'],
    ['udp', '10.42.0.0'],
    ['bgp', '192.168.205.4'],
    ['vxlan', '10.42.0.0'],
  ] as const)('%s: client → NodePort reaches a pod on node1, masqueraded to %s', (backend, source) => {
    const t = run(cluster(backend), connect('client', '192.168.205.4:32506'));
    const last = request(t).at(-1)!;
    expect([t.verdict, last.host, innerIp(last).src]).toEqual(['delivered', 'node1', source]);
  });
});

describe('the datapath from the cluster file', () => {
  const calicoFile = CLUSTER_PRESETS['seed-calico']!.yaml;
  const modesOf = (cluster: string) => {
    const c = loadScenario({ cluster, modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
    return c.value;
  };

  it("a file with an IPPool runs Calico with the pool's ipipMode, and the nodes' tunnel addresses come from their annotations", () => {
    const c = modesOf(calicoFile.replace('projectcalico.org/IPv4IPIPTunnelAddr: 10.42.0.64', 'projectcalico.org/IPv4IPIPTunnelAddr: 10.42.0.127'));
    expect(c.modes.backend).toBe('ipip');
    expect(sh(c, 'master', 'ip addr show tunl0')).toContain('inet 10.42.0.127/32 scope global tunl0');
    expect(modesOf(calicoFile.replace('ipipMode: Always', 'ipipMode: CrossSubnet')).modes.backend).toBe('crosssubnet');
    expect(modesOf(calicoFile.replace('ipipMode: Always', 'ipipMode: Never')).modes.backend).toBe('bgp');
  });

  it('a pool of /24 blocks gives each node a /24 blackhole and routes', () => {
    const c = modesOf(calicoFile.replace('blockSize: 26', 'blockSize: 24'));
    expect(sh(c, 'master', 'ip route')).toContain('blackhole 10.42.0.0/24 proto bird \n10.42.0.65 dev');
    expect(sh(c, 'master', 'ip route')).toContain('10.42.1.0/24 via 192.168.205.3 dev tunl0 proto bird onlink \n');
  });

  it('names a bad IPPool field', () => {
    const r = loadScenario({ cluster: calicoFile.replace('blockSize: 26', 'blockSize: 33'), modes: {}, seed: 1, before: [] });
    expect(r.ok ? '' : `${r.error.where.replace(/ \(line \d+\)$/, '')}: ${r.error.message}`).toBe('IPPool default-ipv4-ippool .spec.blockSize: 33 is not a block size for IPv4 (20-32)');
  });

  it("net-conf.json's Backend.Type udp runs flanneld's udp backend on its default port 8285", () => {
    const c = modesOf(CLUSTER_PRESETS.seed!.yaml.replace('"Type": "vxlan"', '"Type": "udp"'));
    expect(c.modes.backend).toBe('udp');
    expect(c.spec.flannel.port).toBe(8285);
    expect(sh(c, 'master', 'ip route')).toContain('10.42.0.0/16 dev flannel0 \n');
  });
});
