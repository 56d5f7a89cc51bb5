import { conntrackLines } from '../../src/sim/cli/conntrack.ts';
import { traceFlow } from '../../src/sim/k8s/flows.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import { ipIndex } from '../../src/sim/net/edit.ts';
import type { Ipv4Layer, TcpLayer } from '../../src/sim/net/packet.ts';
import { parseConntrack, parseSaveCounters, type CtEntry } from './outputs.ts';
import type { Probe } from './probe.ts';
import { nodeIp, type Roles } from './traffic-probes.ts';

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range), the rule for a port it draws. */
const EPHEMERAL = [32768, 60999] as const;
const inRange = (port: number, [lo, hi]: readonly [number, number]) => port >= lo && port <= hi;

interface Seen {
  /** the endpoint that answered, as the server saw its own address */
  readonly local: string;
  readonly peerIp: string;
  readonly peerPort: number;
  /** the client socket's port */
  readonly clientPort: number;
}

/**
 * One real TCP client (python's socket module: it can say which port the kernel gave it): it
 * connects, half-closes, reads what the lab's server says about the peer it saw until the server
 * closes too.
 */
const CLIENT = [
  'import socket, sys',
  's = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)',
  "print('client=%s:%d' % s.getsockname())",
  's.shutdown(socket.SHUT_WR)',
  // read to the server's FIN before closing: a segment that arrived after close() would be
  // answered with a RST (tcp_rcv_state_process on an orphaned socket) and end the entry in CLOSE
  "said = b''",
  'while True:',
  '    d = s.recv(512)',
  '    if not d: break',
  '    said += d',
  "print(said.decode(), end='')",
].join('\n');

export function realConnectArgv(ip: string, port: number): string[] {
  return ['python3', '-c', CLIENT, ip, String(port)];
}

function realConnect(p: Probe, from: NetNs, ip: string, port: number): Seen | string {
  const k = p.lab.exec(p.real(from), realConnectArgv(ip, port), 8000);
  const said = /peer=([\d.]+):(\d+) local=([\d.]+):(\d+)/.exec(k.stdout);
  const mine = /client=([\d.]+):(\d+)/.exec(k.stdout);
  if (!said || !mine) return `no answer (${k.stderr.trim().split('\n').at(-1) ?? ''})`;
  return { local: said[3]!, peerIp: said[1]!, peerPort: Number(said[2]), clientPort: Number(mine[2]) };
}

/**
 * The same connection in the model, repeated until it reaches the endpoint the kernel's random
 * draw reached: what that endpoint's server saw. A try that reached another endpoint is undone
 * (its conntrack entries, or its counters) so the model is left as if only the matching one ran.
 */
function modelConnect(p: Probe, from: NetNs, ip: string, port: number, want?: string, undo: 'conntrack' | 'counters' = 'conntrack'): Seen | string {
  let last = 'no answer';
  for (let i = 0; i < 40; i++) {
    const restore = undo === 'counters' ? snapshotCounters(p) : (flushModel(p), () => flushModel(p));
    const t = traceFlow(p.c, { from: p.target(from), to: `${ip}:${port}`, proto: 'tcp', kind: 'connect' });
    if (!t.ok) return t.error.message;
    const req = t.value.packets[0]!;
    const delivered = t.value.events.filter((e) => e.packetId === req.packetId && e.kind === 'deliver').at(-1);
    if (req.verdict !== 'delivered' || !delivered) {
      last = `no answer (${req.reason ?? 'dropped'})`;
      continue;
    }
    const ip4 = delivered.packet[ipIndex(delivered.packet)] as Ipv4Layer;
    const tcp = delivered.packet[ipIndex(delivered.packet) + 1] as TcpLayer;
    if (tcp.flags & 0x04) return 'no answer (connection refused)';
    const sent = t.value.events[0]!.packet;
    const clientPort = (sent[ipIndex(sent) + 1] as TcpLayer).srcport;
    const seen = { local: ip4.dst, peerIp: ip4.src, peerPort: tcp.srcport, clientPort };
    if (want === undefined || seen.local === want) return seen;
    restore();
  }
  return want ? `never reached ${want} in 40 tries` : last;
}

/** The namespaces whose connections are tracked: a host's own (a pod has no rule that needs conntrack). */
function tracked(p: Probe): NetNs[] {
  return [...p.c.world.namespaces.values()].filter((ns) => ns.kind === 'root');
}

function flushModel(p: Probe): void {
  for (const ns of tracked(p)) ns.conntrack.clear();
}

function flushKernel(p: Probe): void {
  for (const ns of tracked(p)) p.lab.exec(p.real(ns), ['conntrack', '-F']);
}

/** Every rule and policy counter of the model, to put back after a try that is undone. */
function snapshotCounters(p: Probe): () => void {
  const saved: [{ pkts: number; bytes: number }, number, number][] = [];
  for (const ns of p.c.world.namespaces.values()) {
    for (const table of Object.values(ns.nf)) {
      for (const chain of table.values()) {
        saved.push([chain.policyCounters, chain.policyCounters.pkts, chain.policyCounters.bytes]);
        for (const r of chain.rules) saved.push([r.counters, r.counters.pkts, r.counters.bytes]);
      }
    }
  }
  return () => {
    for (const [c, pkts, bytes] of saved) {
      c.pkts = pkts;
      c.bytes = bytes;
    }
  };
}

/**
 * The address and port a pod's server sees for pod → ClusterIP, node → ClusterIP and client →
 * NodePort (on every node), then every namespace's conntrack table for that connection.
 */
export function connections(p: Probe, r: Roles): void {
  const flows: { from: NetNs; ip: string; port: number; what: string }[] = [];
  for (const svc of p.c.spec.services) {
    const port = svc.ports[0]!;
    const pod = r.pods[0];
    if (pod) flows.push({ from: pod, ip: svc.clusterIP, port: port.port, what: 'pod → ClusterIP' });
    flows.push({ from: r.nodes[r.nodes.length - 1]!, ip: svc.clusterIP, port: port.port, what: 'node → ClusterIP' });
    if (port.nodePort && r.client) for (const node of r.nodes) flows.push({ from: r.client, ip: nodeIp(p, node), port: port.nodePort, what: 'client → NodePort' });
  }
  for (const f of flows) {
    const where = `${f.what}: ${f.from.id} → ${f.ip}:${f.port}`;
    flushKernel(p);
    const k = realConnect(p, f.from, f.ip, f.port);
    const m = modelConnect(p, f.from, f.ip, f.port, typeof k === 'string' ? undefined : k.local);
    if (typeof k === 'string' || typeof m === 'string') {
      p.ck.check('connect', where, 'answered', typeof m === 'string' ? m : 'yes', typeof k === 'string' ? k : 'yes');
      continue;
    }
    p.ck.check('connect', where, 'answered', 'yes', 'yes');
    p.ck.check('connect', where, 'peer address the server saw', m.peerIp, k.peerIp);
    const rule = (s: Seen) => (s.peerPort === s.clientPort ? 'the client\'s port' : inRange(s.peerPort, [1024, 65535]) ? 'another port (SNAT)' : `out of range ${s.peerPort}`);
    p.ck.check('connect', where, 'peer port the server saw', rule(m), rule(k));
    p.ck.check('connect', where, 'client port is ephemeral', inRange(m.clientPort, EPHEMERAL), inRange(k.clientPort, EPHEMERAL));
    conntrackProbe(p, where, m, k);
  }
}

/**
 * Every namespace's conntrack entries after one connection, each reduced by rule: ports the
 * kernel draws (the client's, a masquerade's, VXLAN's) become their role, timeouts are left out
 * (they count down), the rest is compared as printed — a TCP entry's state as a fact of its own,
 * so that an entry present on both sides is compared field by field.
 */
function conntrackProbe(p: Probe, where: string, m: Seen, k: Seen): void {
  for (const ns of tracked(p)) {
    const at = `${where} @ ${ns.id}`;
    const model = parseConntrack(conntrackLines(ns).join('\n'));
    const kernel = parseConntrack(p.lab.exec(p.real(ns), ['conntrack', '-L']).stdout);
    p.ck.sameSet('conntrack -L', at, model.map((e) => ctKey(e, m)), kernel.map((e) => ctKey(e, k)));
    const states = (es: CtEntry[], s: Seen) => new Map(es.filter((e) => e.proto === 'tcp').map((e) => [ctKey(e, s), e.state ?? '(none)']));
    const ks = states(kernel, k);
    for (const [key, state] of states(model, m)) {
      const kstate = ks.get(key);
      if (kstate !== undefined) p.ck.check('conntrack -L', `${at}: ${key}`, 'TCP state after the close', state, kstate);
    }
  }
}

function ctKey(e: CtEntry, s: Seen): string {
  const port = (v: string | undefined, proto: string) => {
    if (v === undefined) return '';
    const n = Number(v);
    if (n === s.clientPort) return 'CLIENT';
    if (n === s.peerPort && s.peerPort !== s.clientPort) return 'SNAT';
    if (proto === 'udp' && inRange(n, EPHEMERAL)) return 'HASH';
    return v;
  };
  const side = (t: Record<string, string>) => `src=${t.src} dst=${t.dst} sport=${port(t.sport, e.proto)} dport=${port(t.dport, e.proto)}${t.type ? ` type=${t.type} code=${t.code}` : ''}`;
  return `${e.proto} ${side(e.orig)}${e.unreplied ? ' [UNREPLIED]' : ''} ${side(e.reply)}${e.assured ? ' [ASSURED]' : ''} mark=${e.mark}`;
}

/**
 * Counters after N connections to a Service from one pod: every nat rule on every node. Each
 * model connection is pinned to the endpoint the kernel's connection reached; rules a random
 * draw picks between (the endpoint chains, the statistic jumps) are compared as their sum per
 * service chain, since the draw that picked the endpoint can differ; every other rule exactly.
 */
export function counters(p: Probe, r: Roles): void {
  const svc = p.c.spec.services[0];
  const pod = r.pods[0];
  if (!svc || !pod) return;
  const n = 5;
  for (const node of r.nodes) {
    for (const t of ['nat', 'filter', 'mangle']) {
      p.modelExec(node, `iptables -t ${t} -Z`);
      p.lab.exec(p.real(node), ['iptables', '-t', t, '-Z']);
    }
  }
  const to = `${svc.clusterIP}:${svc.ports[0]!.port}`;
  for (let i = 0; i < n; i++) {
    const k = realConnect(p, pod, svc.clusterIP, svc.ports[0]!.port);
    modelConnect(p, pod, svc.clusterIP, svc.ports[0]!.port, typeof k === 'string' ? undefined : k.local, 'counters');
  }
  for (const node of r.nodes) {
    const where = `${n} connections ${pod.id} → ${to} @ ${node.id}`;
    const model = sumRandom(parseSaveCounters(p.modelExec(node, 'iptables-save -c -t nat')));
    const kernel = sumRandom(parseSaveCounters(p.lab.exec(p.real(node), ['iptables-save', '-c', '-t', 'nat']).stdout));
    for (const [rule, mv] of model) {
      const kv = kernel.get(rule);
      if (mv[0] === 0 && (kv?.[0] ?? 0) === 0) continue;
      p.ck.check('iptables-save -c', where, rule, `[${mv[0]}:${mv[1]}]`, kv ? `[${kv[0]}:${kv[1]}]` : '(no such rule)');
    }
  }
}

/** Endpoint chains and statistic jumps, summed per service (`KUBE-SVC-…` / all its `KUBE-SEP-…`). */
function sumRandom(m: Map<string, [number, number]>): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const add = (k: string, v: [number, number]) => {
    const o = out.get(k) ?? [0, 0];
    out.set(k, [o[0] + v[0], o[1] + v[1]]);
  };
  for (const [rule, v] of m) {
    const sep = /^nat -A (KUBE-SEP-\w+) .*?(-j \S+)/.exec(rule);
    const stat = /^nat -A (KUBE-SVC-\w+) .* -j KUBE-SEP-\w+/.exec(rule);
    if (sep) add(`nat -A KUBE-SEP-* (all endpoints) ${sep[2]}`, v);
    else if (stat) add(`nat -A ${stat[1]} -j KUBE-SEP-* (all jumps)`, v);
    else add(rule, v);
  }
  return out;
}
