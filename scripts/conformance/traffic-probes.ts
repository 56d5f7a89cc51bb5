import { traceFlow } from '../../src/sim/k8s/flows.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import { captures } from './capture-probes.ts';
import { connections, counters } from './connection-probes.ts';
import { parsePing, parseTraceroute } from './outputs.ts';
import type { Probe } from './probe.ts';

/** What this machine's kernel cannot do, so the suite does not try (said in every report). */
export const UNAVAILABLE = [
  'kube-proxy ipvs mode: the kernel has no IP_VS (CONFIG_IP_VS is off), so no virtual servers can be made',
  'calico ipip: the kernel has no ipip module (CONFIG_NET_IPIP is off)',
  'the fq_codel qdisc of the NICs and of flannel udp\'s TUN device: the kernel has no sch_fq_codel (the lab\'s NICs keep noqueue, the TUN device gets pfifo_fast)',
];

/** The namespaces of a cluster by role, in a stable order. */
export interface Roles {
  readonly nodes: NetNs[];
  readonly pods: NetNs[];
  readonly client?: NetNs;
  podIp(ns: NetNs): string;
  nodeOf(ns: NetNs): NetNs;
}

export function roles(p: Probe): Roles {
  const nodes = [...p.c.nodes.values()];
  const pods = [...p.c.pods.values()];
  const ipOf = new Map(p.c.spec.pods.map((x) => [x.name, x.ip as string]));
  return {
    nodes,
    pods,
    client: p.c.hosts.get('client'),
    podIp: (ns) => ipOf.get(ns.name)!,
    nodeOf: (ns) => nodes.find((n) => n.host === ns.host)!,
  };
}

export function nodeIp(p: Probe, node: NetNs): string {
  return p.c.spec.nodes.find((n) => n.name === node.host)!.internalIP;
}

/** One echo each way, both sides: replies, their TTL, the ICMP errors and local errors ping reports. */
export function pingProbe(p: Probe, from: NetNs, dst: string, opts: readonly string[] = [], label = 'ping'): void {
  const where = `${from.id} → ${dst}${opts.length ? ` ${opts.join(' ')}` : ''}`;
  const model = parsePing(p.modelTry(from, ['ping', '-c', '1', ...opts, dst].join(' ')).output);
  // the same program on both sides: busybox in a pod (as `kubectl debug --image=busybox`), iputils on a host
  const prog = from.kind !== 'root' ? ['busybox', 'ping'] : ['ping'];
  const k = p.lab.exec(p.real(from), [...prog, '-c', '1', '-W', '1', ...opts, dst], 5000);
  const kernel = parsePing(`${k.stdout}\n${k.stderr}`);
  p.ck.check(label, where, 'received', model.received, kernel.received);
  p.ck.check(label, where, 'ttl', model.ttls.join(','), kernel.ttls.join(','));
  p.ck.check(label, where, 'icmp errors', model.errors.join('; '), kernel.errors.join('; '));
  p.ck.check(label, where, 'local errors', model.localErrors.join('; '), kernel.localErrors.join('; '));
}

/** The ping matrix: from every pod, node and the client to a spread of pods, nodes and the client. */
function pings(p: Probe, r: Roles): void {
  for (const [i, pod] of r.pods.entries()) {
    const node = r.nodeOf(pod);
    const sameNode = r.pods.find((x) => x !== pod && x.host === pod.host);
    const otherNode = r.pods.find((x) => x.host !== pod.host);
    if (sameNode) pingProbe(p, pod, r.podIp(sameNode));
    if (otherNode) pingProbe(p, pod, r.podIp(otherNode));
    pingProbe(p, pod, nodeIp(p, node));
    const next = r.nodes[(r.nodes.indexOf(node) + 1) % r.nodes.length]!;
    if (next !== node) pingProbe(p, pod, nodeIp(p, next));
    // a ClusterIP answers no ping in iptables mode; the client is outside the cluster network
    if (i === 0 && p.c.spec.services[0]) pingProbe(p, pod, p.c.spec.services[0].clusterIP);
    if (i === 0 && r.client) pingProbe(p, pod, p.c.spec.hosts.find((h) => h.name === 'client')!.interfaces[0]!.address);
  }
  for (const node of r.nodes) {
    const remote = r.pods.find((x) => x.host !== node.host);
    if (remote) pingProbe(p, node, r.podIp(remote));
    const local = r.pods.find((x) => x.host === node.host);
    if (local) pingProbe(p, node, r.podIp(local));
  }
  if (r.client) {
    for (const node of r.nodes) pingProbe(p, r.client, nodeIp(p, node));
    const pod = r.pods.find((x) => x.host !== r.nodes[0]!.host) ?? r.pods[0];
    if (pod) pingProbe(p, r.client, r.podIp(pod));
  }
}

/** traceroute -n: the hop that answered each TTL (`*` for silence), both sides. */
export function tracerouteProbe(p: Probe, from: NetNs, dst: string, opts: readonly string[] = []): void {
  const where = `${from.id} → ${dst}${opts.length ? ` ${opts.join(' ')}` : ''}`;
  const m = p.modelTry(from, ['traceroute', '-n', '-w', '1', '-q', '3', '-m', '10', ...opts, dst].join(' '));
  // busybox in a pod, Linux traceroute on a host
  const prog = from.kind !== 'root' ? ['busybox', 'traceroute'] : ['traceroute'];
  const k = p.lab.exec(p.real(from), [...prog, '-n', '-w', '1', '-q', '3', '-m', '10', ...opts, dst], 30_000);
  const model = parseTraceroute(m.output);
  const kernel = parseTraceroute(k.stdout);
  const show = (hops: ReturnType<typeof parseTraceroute>) => hops.map((h) => `${h.ttl}:${h.answers.join('/')}`).join(' ');
  p.ck.check('traceroute', where, 'hops', m.ok ? show(model) : m.output, show(kernel));
}

function traceroutes(p: Probe, r: Roles): void {
  // a different source for each kind, so that one destination's ICMP rate limit is not what is
  // measured; TCP probes are Linux traceroute's (busybox has none), so they start on a node
  const cross = r.pods.filter((x) => r.pods.some((y) => y.host !== x.host));
  const dstOf = (src: NetNs) => r.pods.find((y) => y.host !== src.host)!;
  ([[], ['-I']] as string[][]).forEach((opts, i) => {
    const src = cross[i % Math.max(cross.length, 1)];
    if (src) tracerouteProbe(p, src, r.podIp(dstOf(src)), opts);
  });
  const node = r.nodes.find((n) => r.pods.some((y) => y.host !== n.host));
  if (node) tracerouteProbe(p, node, r.podIp(dstOf(node)), ['-T', '-p', '80']);
}

/**
 * ICMP error rate limiting: a burst of datagrams from a node to a closed port of one of its pods.
 * The pod answers port unreachable to the first six (icmp_ratelimit's burst), then to one a
 * second; the burst takes well under a second on both sides.
 */
function rateLimit(p: Probe, r: Roles): void {
  const node = r.nodes.find((n) => r.pods.some((x) => x.host === n.host));
  if (!node) return;
  const pod = r.pods.find((x) => x.host === node.host)!;
  const n = 8;
  const where = `${n} datagrams ${node.id} → ${r.podIp(pod)}:9`;
  let model = 0;
  for (let i = 0; i < n; i++) {
    const t = traceFlow(p.c, { from: p.target(node), to: `${r.podIp(pod)}:9`, proto: 'udp', kind: 'connect' });
    if (t.ok && t.value.packets.some((x) => x.role === 'icmp-error' && x.verdict === 'delivered' && x.host === node.host && x.netns === 'root')) model++;
  }
  const k = p.lab.exec(p.real(node), ['python3', '-c', BURST, r.podIp(pod), '9', String(n)], 10_000);
  p.ck.check('icmp rate limit', where, 'port unreachables received', model, Number(/refused=(\d+)/.exec(k.stdout)?.[1] ?? -1));
}

/** n connected UDP sockets, one datagram each; ECONNREFUSED means the port unreachable came back. */
const BURST = [
  'import socket, sys',
  'ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])',
  'got = 0',
  'for i in range(n):',
  '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
  '    s.connect((ip, port))',
  '    s.settimeout(0.2)',
  "    s.send(b'x' * 32)",
  '    try:',
  '        s.recv(64)',
  '    except ConnectionRefusedError:',
  '        got += 1',
  '    except socket.timeout:',
  '        pass',
  "print('refused=%d' % got)",
].join('\n');

export async function trafficProbes(p: Probe): Promise<void> {
  const r = roles(p);
  rateLimit(p, r);
  pings(p, r);
  sizes(p, r);
  traceroutes(p, r);
  connections(p, r);
  counters(p, r);
  await captures(p, r);
  notForwarding(p, r);
}

/**
 * Sizes around each MTU, with each path MTU discovery mode: what fits, what is one byte too big
 * (DF: a local "message too long"; without DF: fragments), and — where the client routes into
 * the pod network through a node — the frag-needed error a forwarding node sends and the PMTU
 * the sender then caches (`ip route get`).
 */
function sizes(p: Probe, r: Roles): void {
  const src = r.pods.find((x) => r.pods.some((y) => y.host !== x.host));
  if (src) {
    const dst = r.podIp(r.pods.find((y) => y.host !== src.host)!);
    const mtu = src.dev('eth0')!.mtu;
    // busybox sets no -M: the kernel's default (want) sends what fits with DF, fragments the rest
    for (const size of [mtu - 28, mtu - 27]) pingProbe(p, src, dst, ['-s', String(size)], 'ping -s');
    const node = r.nodeOf(src);
    const remote = r.pods.find((y) => y.host !== node.host)!;
    const route = p.c.nodes.get(node.host)!.fib.lookup(r.podIp(remote) as never);
    const out = route ? node.dev(route.route.dev)!.mtu : 1500;
    pingProbe(p, node, r.podIp(remote), ['-s', String(out - 28), '-M', 'do'], 'ping -s');
    for (const mode of ['do', 'dont', 'want']) pingProbe(p, node, r.podIp(remote), ['-s', String(out - 27), '-M', mode], 'ping -s');
  }
  if (r.client && p.c.spec.hosts.find((h) => h.name === 'client')!.routes.length > 0) {
    const first = r.nodes[0]!;
    const pod = r.pods.find((x) => x.host !== first.host);
    if (!pod) return;
    const ip = r.podIp(pod);
    pingProbe(p, r.client, ip, ['-s', '1472', '-M', 'do'], 'ping -s');
    routeGetProbe(p, r.client, ip);
    pingProbe(p, r.client, ip, ['-s', '1472', '-M', 'do'], 'ping -s');
  }
}

/** `ip route get`: the route, and the PMTU the kernel cached for the destination. */
export function routeGetProbe(p: Probe, from: NetNs, dst: string): void {
  const where = `${from.id} → ${dst}`;
  const m = p.modelTry(from, `ip route get ${dst}`);
  const k = p.lab.ip(p.real(from), ['route', 'get', dst]);
  const norm = (s: string) => s.replace(/expires \d+sec/, 'expires Nsec').split('\n').map((l) => l.trimEnd()).filter(Boolean).join(' | ');
  p.ck.check('ip route get', where, 'output', norm(m.output), norm(k));
}

/**
 * A host that does not forward, handed a packet not for it: a node routes a spare prefix of
 * the pod network to one of its pods; the pod (ip_forward=0) must drop it without an answer.
 */
function notForwarding(p: Probe, r: Roles): void {
  const pod = r.pods[0];
  if (!pod) return;
  const node = r.nodeOf(pod);
  const spare = '10.42.250.0/24';
  // through the device the node reaches the pod on: cni0 with flannel, the pod's cali veth with Calico
  const dev = p.c.nodes.get(node.host)!.fib.lookup(r.podIp(pod) as never)?.route.dev ?? 'cni0';
  const add = `ip route add ${spare} via ${r.podIp(pod)} dev ${dev}`;
  p.modelExec(node, add);
  p.lab.ip(p.real(node), add.split(' ').slice(1));
  const other = r.pods.find((x) => x !== pod && x.host === pod.host);
  pingProbe(p, node, '10.42.250.1', [], 'ping (not forwarding)');
  if (other) pingProbe(p, other, '10.42.250.1', [], 'ping (not forwarding)');
  const del = `ip route del ${spare}`;
  p.modelExec(node, del);
  p.lab.ip(p.real(node), del.split(' ').slice(1));
}
