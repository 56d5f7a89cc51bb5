import type { FlowSpec, Result } from '../api-types.ts';
import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { ipIndex } from '../net/edit.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_SYN,
  type Ipv4Layer,
  type Packet,
  type TcpLayer,
  type TcpOption,
  type UdpLayer,
} from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import { PacketWalk, type SocketBehaviour } from '../linux/path/walk.ts';
import type { Trace } from '../trace/event.ts';
import type { Cluster } from './cluster.ts';
import { inKubernetesTerms } from './explain.ts';
import { containerAddress } from './docker.ts';
import { podKey } from './spec.ts';

/**
 * Where a flow starts or a shell runs: a pod (`namespace/name`, or its bare name when no other
 * namespace has one), a node or host (`node/NAME` when a pod shares the name), a Docker
 * container, or an IP one of them owns. A name that could mean two things is refused with
 * the ways to say which.
 */
export function sourceOf(c: Cluster, from: string): Result<NetNs> {
  const ok = (ns: NetNs): Result<NetNs> => ({ ok: true, value: ns });
  const byKey = c.pods.get(from);
  if (byKey) return ok(byKey);
  const kind = /^(node|host)\/(.+)$/.exec(from);
  if (kind) {
    const ns = kind[1] === 'node' ? c.nodes.get(kind[2]!) : c.hosts.get(kind[2]!);
    return ns ? ok(ns) : { ok: false, error: { code: 'FLOW_FROM', where: from, message: `no ${kind[1]} named "${kind[2]}"` } };
  }
  const candidates: { what: string; say: string; ns: NetNs }[] = [];
  for (const p of c.spec.pods) if (p.name === from) candidates.push({ what: `pod ${podKey(p)}`, say: podKey(p), ns: c.pods.get(podKey(p))! });
  const node = c.nodes.get(from);
  if (node) candidates.push({ what: `node ${from}`, say: `node/${from}`, ns: node });
  const host = c.hosts.get(from);
  if (host) candidates.push({ what: `host ${from}`, say: `host/${from}`, ns: host });
  const container = c.containers.get(from) ?? [...c.containers.values()].find((ns) => ns.name === from);
  if (container && candidates.length === 0) candidates.push({ what: `container ${from}`, say: from, ns: container });
  if (candidates.length === 1) return ok(candidates[0]!.ns);
  if (candidates.length > 1) {
    const says = candidates.map((x) => x.say);
    return { ok: false, error: { code: 'FLOW_AMBIGUOUS', where: from, message: `"${from}" is ambiguous: ${candidates.map((x) => x.what).join(', ')}; say ${says.slice(0, -1).join(', ')} or ${says.at(-1)}` } };
  }
  if (isIpv4(from)) {
    for (const ns of [...c.pods.values(), ...c.nodes.values(), ...c.hosts.values(), ...c.containers.values()]) {
      for (const d of ns.devices.values()) if (d.kind !== 'loopback' && d.kind !== 'dummy' && d.addrs.some((a) => a.addr === from)) return ok(ns);
    }
  }
  return { ok: false, error: { code: 'FLOW_FROM', where: 'flow.from', message: `"${from}" is not a pod, node, host or an address one of them owns` } };
}

/** `sourceOf` without the reason: the namespace, or undefined. */
export function resolveSource(c: Cluster, from: string): NetNs | undefined {
  const r = sourceOf(c, from);
  return r.ok ? r.value : undefined;
}

/** `to`: an IP[:port], or a pod/node/host/service name (its IP), optionally with `:port`. */
export function resolveDestination(c: Cluster, to: string): { ip: Ipv4; port?: number } | undefined {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(to.trim());
  if (!m) return undefined;
  const name = m[1]!;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (isIpv4(name)) return { ip: name, port };
  const pod = c.spec.pods.find((p) => podKey(p) === name) ?? c.spec.pods.find((p) => p.name === name);
  if (pod) return { ip: pod.ip, port };
  const nodeName = name.replace(/^node\//, '');
  const node = c.spec.nodes.find((n) => n.name === nodeName);
  if (node) return { ip: node.internalIP, port };
  const svc = c.spec.services.find((s) => s.name === name || `${s.namespace}/${s.name}` === name);
  if (svc) return { ip: svc.clusterIP, port: port ?? svc.ports[0]!.port };
  const host = c.spec.hosts.find((h) => h.name === name.replace(/^host\//, ''));
  if (host?.interfaces[0]) return { ip: host.interfaces[0].address, port };
  // Docker: a host by name, a container by the address it is reached at (host mode: its host's)
  const dockerHost = c.spec.docker.hosts.find((h) => h.name === name);
  if (dockerHost) return { ip: dockerHost.address, port };
  const container = containerAddress(c.docker, name);
  if (container) return { ip: container, port };
  return undefined;
}

/** Linux's SYN options (tcp_syn_options): MSS, SACK permitted, timestamps, NOP, window scale 7. */
function linuxSynOptions(mss: number, tsval: number, tsecr = 0): TcpOption[] {
  return [{ kind: 'mss', value: mss }, { kind: 'sack_perm' }, { kind: 'timestamp', tsval, tsecr }, { kind: 'nop' }, { kind: 'wscale', value: 7 }];
}

/** macOS's SYN options: MSS, NOP, WS 6, NOP, NOP, TS, SACK permitted, EOL — a 64-byte SYN. */
function macSynOptions(mss: number, tsval: number): TcpOption[] {
  return [{ kind: 'mss', value: mss }, { kind: 'nop' }, { kind: 'wscale', value: 6 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval, tsecr: 0 }, { kind: 'sack_perm' }, { kind: 'eol' }];
}

/** The MTU of the device the route to `dst` leaves by: what the socket derives its MSS from. */
function pathMtu(ns: NetNs, dst: Ipv4): number {
  if (ns.isLocal(dst)) return ns.dev('lo')?.mtu ?? 65536; // local traffic goes over lo: MSS 65495
  const r = ns.fib.lookup(dst);
  return (r && ns.dev(r.route.dev)?.mtu) || 1500;
}

/**
 * The programs at the ends: a server answers a SYN with SYN+ACK and echoes UDP; the client
 * completes the handshake with an ACK. Replies go out with the address the request was sent
 * to as their source, as a connected socket does.
 */
export function socketsFor(c: Cluster): SocketBehaviour {
  const rng = c.world.rng;
  return {
    reply(ns: NetNs, delivered: Packet): Packet | undefined {
      const i = ipIndex(delivered);
      const ip4 = delivered[i] as Ipv4Layer;
      const l4 = delivered[i + 1];
      const macos = c.spec.hosts.find((h) => h.name === ns.host && ns.name === 'root')?.os === 'macos';
      const ipOut: Ipv4Layer = { type: 'ipv4', src: ip4.dst, dst: ip4.src, ttl: 64, proto: ip4.proto, id: rng.int(0, 0xffff), df: true, dsfield: 0 };
      if (l4?.type === 'tcp') {
        const synOnly = (l4.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
        const synAck = (l4.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
        if (!synOnly && !synAck) return undefined;
        const mss = pathMtu(ns, ip4.src) - 40;
        const tcp: TcpLayer = synOnly
          ? { type: 'tcp', srcport: l4.dstport, dstport: l4.srcport, seq: rng.nextU32(), ack: (l4.seq + 1) >>> 0, flags: TCP_SYN | TCP_ACK, window: macos ? 65535 : 64308, options: macos ? macSynOptions(mss, rng.nextU32()) : linuxSynOptions(mss, rng.nextU32(), tsOf(l4)) }
          : { type: 'tcp', srcport: l4.dstport, dstport: l4.srcport, seq: l4.ack, ack: (l4.seq + 1) >>> 0, flags: TCP_ACK, window: 502, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: rng.nextU32(), tsecr: tsOf(l4) }] };
        return [ipOut, tcp];
      }
      if (l4?.type === 'udp') {
        const client = ns.listeners.find((s) => s.proto === 'udp' && s.port === l4.dstport)?.process === 'client';
        if (client) return undefined;
        const data = delivered[i + 2];
        return [{ ...ipOut, df: false }, { type: 'udp', srcport: l4.dstport, dstport: l4.srcport } satisfies UdpLayer, ...(data ? [data] : [])];
      }
      return undefined;
    },
  };
}

function tsOf(t: TcpLayer): number {
  const ts = t.options.find((o) => o.kind === 'timestamp');
  return ts && ts.kind === 'timestamp' ? ts.tsval : 0;
}

/** net.ipv4.ip_local_port_range's default: the ports a client socket is given. */
export const EPHEMERAL_PORTS = { low: 32768, high: 60999 } as const;

/**
 * The local port allocator (inet_hash_connect → __inet_hash_connect): a random start in the
 * ephemeral range, then the next port up, wrapping, skipping ports this namespace uses. When
 * every port is taken, connect fails with EADDRNOTAVAIL: undefined here. Bounded by the range.
 */
export function localPort(c: Cluster, ns: NetNs): number | undefined {
  const { low, high } = EPHEMERAL_PORTS;
  const used = new Set(ns.listeners.map((l) => l.port));
  const size = high - low + 1;
  const start = c.world.rng.int(low, high);
  for (let k = 0; k < size; k++) {
    const port = low + ((start - low + k) % size);
    if (!used.has(port)) return port;
  }
  return undefined;
}

/** The first packet of a flow, from its socket: source address left to routing (0.0.0.0). */
export function firstPacket(c: Cluster, ns: NetNs, flow: FlowSpec, dst: { ip: Ipv4; port?: number }, ttl = 64): Packet {
  const rng = c.world.rng;
  const ip4 = (proto: number, df: boolean): Ipv4Layer => ({ type: 'ipv4', src: '0.0.0.0' as Ipv4, dst: dst.ip, ttl, proto, id: rng.int(0, 0xffff), df, dsfield: 0 });
  if (flow.proto === 'icmp' || flow.kind === 'ping') {
    return [ip4(IPPROTO_ICMP, flow.df ?? true), { type: 'icmp', icmp_type: 8, code: 0, ident: rng.int(1, 0xffff), seq: 0 }, { type: 'data', length: flow.size ?? 56 }];
  }
  const sport = localPort(c, ns);
  if (sport === undefined) throw new Error(`no free local port in ${ns.id}`); // traceFlow says so first
  if (flow.proto === 'udp') {
    ns.listeners.push({ proto: 'udp', port: sport, process: 'client' });
    return [ip4(IPPROTO_UDP, flow.df ?? false), { type: 'udp', srcport: sport, dstport: dst.port ?? 53 }, { type: 'data', length: flow.size ?? 32 }];
  }
  ns.listeners.push({ proto: 'tcp', port: sport, process: 'client' });
  const macos = c.spec.hosts.find((h) => h.name === ns.host && ns.name === 'root')?.os === 'macos';
  const mss = pathMtu(ns, dst.ip) - 40;
  return [
    ip4(IPPROTO_TCP, flow.df ?? true),
    { type: 'tcp', srcport: sport, dstport: dst.port ?? 80, seq: rng.nextU32(), ack: 0, flags: TCP_SYN, window: macos ? 65535 : 64240, options: macos ? macSynOptions(mss, rng.nextU32()) : linuxSynOptions(mss, rng.nextU32()) },
  ];
}

/**
 * Runs one flow over the cluster: the request and everything it causes (replies, errors).
 * `steps` stops it after that many steps, leaving the kernel's tables as they stand there.
 */
export function traceFlow(c: Cluster, flow: FlowSpec, steps = Infinity): Result<Trace> {
  const src = sourceOf(c, flow.from);
  if (!src.ok) return src;
  const ns = src.value;
  const dst = resolveDestination(c, flow.to);
  if (!dst) return { ok: false, error: { code: 'FLOW_TO', where: 'flow.to', message: `"${flow.to}" is not an IP[:port] or a pod, node, host or service name` } };
  const needsPort = flow.kind === 'connect' && flow.proto !== 'icmp';
  if (needsPort && ns.listeners.filter((l) => l.port >= EPHEMERAL_PORTS.low && l.port <= EPHEMERAL_PORTS.high).length > EPHEMERAL_PORTS.high - EPHEMERAL_PORTS.low) {
    return { ok: false, error: { code: 'FLOW_PORTS', where: 'flow.from', message: `connect: Cannot assign requested address — all ${EPHEMERAL_PORTS.high - EPHEMERAL_PORTS.low + 1} local ports of ${flow.from} (ip_local_port_range ${EPHEMERAL_PORTS.low}-${EPHEMERAL_PORTS.high}) are in use by open connections` } };
  }
  const t = flow.kind === 'traceroute' ? traceroute(c, ns, dst.ip, 30, steps).trace : new PacketWalk(c.world, socketsFor(c), steps).run(ns, firstPacket(c, ns, flow, dst));
  return { ok: true, value: { ...t, events: t.events.map(inKubernetesTerms) } };
}

/**
 * Connections opened and then closed for good, one after another: each flow runs, then the
 * client closes its socket and — as after TIME_WAIT and the conntrack/IPVS timeouts — every
 * connection-tracking entry the flow created expires, so its local port can serve a later
 * connection. `--count` runs flows this way; without it, ~28,000 connections would use up the
 * ephemeral range. The tables' sizes are taken once; after each flow only the namespaces its
 * packets crossed are put back.
 */
export function closedConnections(c: Cluster): (flow: FlowSpec) => Result<Trace> {
  const marks = new Map([...c.world.namespaces.values()].map((ns) => [ns, { ct: ns.conntrack.connections.length, ipvs: ns.ipvs?.conns.length ?? 0, listeners: ns.listeners.length }]));
  return (flow) => {
    const t = traceFlow(c, flow);
    if (!t.ok) return t;
    const touched = new Set<NetNs>();
    for (const e of t.value.events) {
      const ns = c.world.ns(e.host, e.netns);
      if (ns) touched.add(ns);
    }
    for (const ns of touched) {
      const m = marks.get(ns);
      if (!m) continue;
      for (const conn of ns.conntrack.connections.slice(m.ct)) ns.conntrack.remove(conn);
      if (ns.ipvs) for (const conn of ns.ipvs.conns.slice(m.ipvs)) ns.ipvs.expireNow(conn);
      ns.listeners.splice(m.listeners);
    }
    return t;
  };
}

export interface TracerouteHop {
  readonly ttl: number;
  /** who answered: the ICMP error's source, or undefined for `*` */
  readonly from?: Ipv4;
  readonly reached: boolean;
  /** simulated round trip of the probe, milliseconds */
  readonly ms: number;
  /** what traceroute prints after the time for an unreachable: `!N`, `!H`, `!P`, `!F`, `!X`, … */
  readonly flag?: string;
}

/** traceroute's `-m` limit (busybox xatou_range(…, 1, 255); traceroute.c "max hops cannot be more than 255"). */
export const TRACEROUTE_MAX_TTL = 255;

/**
 * The mark traceroute prints for a destination-unreachable answer (busybox traceroute.c
 * packet_ok/print; traceroute's udp module): port unreachable means the probe got there.
 */
function unreachableFlag(code: number): string | undefined {
  return ({ 0: '!N', 1: '!H', 2: '!P', 4: '!F', 5: '!S', 9: '!A', 10: '!Z', 13: '!X' } as Record<number, string>)[code] ?? (code === 3 ? undefined : `!<${code}>`);
}

/**
 * busybox traceroute: UDP probes of 46 bytes to port 33434+n with TTL 1, 2, … until an answer
 * other than time exceeded comes back (port unreachable: got there; host/net unreachable:
 * stop with `!H`/`!N`), or `maxHops` (1-255) probes went out. Each probe is walked by the
 * kernel model; the hop is whoever sent the ICMP error back.
 */
export function traceroute(c: Cluster, ns: NetNs, dst: Ipv4, maxHopsIn = 30, steps = Infinity): { hops: TracerouteHop[]; trace: Trace } {
  const maxHops = Math.min(Math.max(Math.trunc(maxHopsIn) || 1, 1), TRACEROUTE_MAX_TTL);
  const hops: TracerouteHop[] = [];
  const events: Trace['events'][number][] = [];
  const packets: Trace['packets'][number][] = [];
  let lastReason: string | undefined;
  for (let ttl = 1; ttl <= maxHops; ttl++) {
    const walk = new PacketWalk(c.world, socketsFor(c), steps - events.length);
    const probe: Packet = [
      { type: 'ipv4', src: '0.0.0.0' as Ipv4, dst, ttl, proto: IPPROTO_UDP, id: c.world.rng.int(0, 0xffff), df: false, dsfield: 0 },
      { type: 'udp', srcport: c.world.rng.int(32768, 60999), dstport: 33434 + ttl - 1 },
      { type: 'data', length: 18 },
    ];
    const t = walk.run(ns, probe, 'probe');
    const base = packets.length;
    for (const e of t.events) events.push({ ...e, seq: events.length, packetId: e.packetId + base });
    for (const p of t.packets) packets.push({ ...p, packetId: p.packetId + base });
    if (walk.halted) break;
    const err = t.packets.find((p, k) => k > 0 && p.role === 'icmp-error' && p.verdict === 'delivered' && p.host === ns.host && p.netns === ns.name);
    const errEvent = err ? t.events.filter((e) => e.packetId === err.packetId).at(-1) : undefined;
    const errIp = errEvent ? (errEvent.packet[ipIndex(errEvent.packet)] as Ipv4Layer) : undefined;
    const icmp = errEvent?.packet[ipIndex(errEvent.packet) + 1];
    const unreachable = icmp?.type === 'icmp' && icmp.icmp_type === 3;
    const flag = unreachable ? unreachableFlag(icmp.code) : undefined;
    const reached = errIp?.src === dst || (unreachable && icmp.code === 3);
    hops.push({ ttl, from: errIp?.src, reached, ms: errEvent ? (errEvent.timeUs - t.events[0]!.timeUs) / 1000 : 0, ...(flag ? { flag } : {}) });
    if (reached) break;
    const probeOutcome = t.packets[0]!;
    // why this probe got no useful answer: its own drop, or the drop of the answer on its way back
    const lostAnswer = t.packets.find((p, k) => k > 0 && p.verdict === 'dropped');
    lastReason = flag
      ? `${errIp!.src} answered destination unreachable (${flag})`
      : probeOutcome.verdict === 'dropped'
        ? probeOutcome.reason
        : lostAnswer
          ? `the answer to the probe was dropped at ${lostAnswer.host}/${lostAnswer.netns} (${lostAnswer.reason})`
          : errIp
            ? undefined
            : `the probe reached ${probeOutcome.host}/${probeOutcome.netns} but no ICMP answer came back`;
    // an unreachable ends traceroute (busybox: `unreachable >= nprobes - 1`)
    if (flag) break;
    // a probe that died silently for a reason other than its TTL (no route, no ARP answer) dies
    // the same way with any larger TTL in this unchanging state: the rest would be `* * *`
    if (!errIp && probeOutcome.reason !== 'TTL_EXPIRED') {
      for (let more = ttl + 1; more <= maxHops; more++) hops.push({ ttl: more, reached: false, ms: 0 });
      break;
    }
  }
  const done = hops.at(-1)?.reached === true;
  const reason = done ? undefined : (lastReason ?? `no answer from ${dst} within ${maxHops} hops`);
  return { hops, trace: { events, packets, verdict: done ? 'delivered' : 'dropped', reason } };
}
