import type { FlowSpec, Result } from '../api-types.ts';
import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { ipIndex } from '../net/edit.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_SYN,
  type Ipv4Layer,
  type Packet,
  type TcpLayer,
  type TcpOption,
  type UdpLayer,
} from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import { PacketWalk, type SocketBehaviour, type SocketSend } from '../linux/path/walk.ts';
import type { Trace } from '../trace/event.ts';
import type { Cluster } from './cluster.ts';
import { inKubernetesTerms } from './explain.ts';
import { containerAddress } from './docker.ts';
import { podKey } from './names.ts';

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

/** Linux's window scale with the default tcp_rmem limit of 6 MiB (tcp_select_initial_window). */
const LINUX_WSCALE = 7;

/**
 * The window a Linux SYN or SYN-ACK offers: 64 KiB rounded down to a whole number of segments
 * (tcp_select_initial_window), the segment being the MSS, less the timestamp option's 12 bytes
 * in a SYN-ACK that agreed on timestamps. The real kernel sent 64860 with MSS 1410 and 65160
 * in a SYN-ACK with MSS 1460.
 */
function initialWindow(segment: number): number {
  return Math.floor(0xffff / segment) * segment;
}

/** The window field once scaled: the receive window rounded up to the scale's unit (__tcp_select_window). */
function scaledWindow(rcvWindow: number, wscale = LINUX_WSCALE): number {
  return Math.ceil(rcvWindow / 2 ** wscale);
}

/** The MTU of the device the route to `dst` leaves by: what the socket derives its MSS from. */
function pathMtu(ns: NetNs, dst: Ipv4): number {
  if (ns.isLocal(dst)) return ns.dev('lo')?.mtu ?? 65536; // local traffic goes over lo: MSS 65495
  const r = ns.fib.lookup(dst);
  return (r && ns.dev(r.route.dev)?.mtu) || 1500;
}

/**
 * The programs at the ends, as the conformance suite's run them: a server answers a SYN with
 * SYN+ACK and echoes UDP; the client completes the handshake with an ACK and, having nothing to
 * send, shuts its side down at once (python's `shutdown(SHUT_WR)`: a FIN). The server's kernel
 * acknowledges the FIN, the server reads end of file and closes (its FIN), and the client's
 * kernel acknowledges that: the four segments of a close, the client's first, as a real kernel
 * sent them (captured on one: FIN, ACK, then the server's data and FIN, ACK — the model's
 * connection carries no payload). Replies go out with the address the request was sent to as
 * their source, as a connected socket does.
 */
export function socketsFor(c: Cluster): SocketBehaviour {
  const rng = c.world.rng;
  return {
    reply(ns: NetNs, delivered: Packet): readonly SocketSend[] {
      const i = ipIndex(delivered);
      const ip4 = delivered[i] as Ipv4Layer;
      const l4 = delivered[i + 1];
      const macos = c.spec.hosts.find((h) => h.name === ns.host && ns.name === 'root')?.os === 'macos';
      const ipOut: Ipv4Layer = { type: 'ipv4', src: ip4.dst, dst: ip4.src, ttl: 64, proto: ip4.proto, id: rng.int(0, 0xffff), df: true, dsfield: 0 };
      if (l4?.type === 'tcp') {
        const synOnly = (l4.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
        const synAck = (l4.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
        const mss = pathMtu(ns, ip4.src) - 40;
        const socket = ns.listeners.find((s) => s.proto === 'tcp' && s.port === l4.dstport);
        if (synOnly) {
          // ip_build_and_send_pkt: a SYN-ACK with DF set has IP ID 0
          const timestamps = tsOf(l4) !== 0;
          const window = macos ? 65535 : initialWindow(timestamps ? mss - 12 : mss);
          return [{ role: 'reply', packet: [{ ...ipOut, id: 0 }, { type: 'tcp', srcport: l4.dstport, dstport: l4.srcport, seq: rng.nextU32(), ack: (l4.seq + 1) >>> 0, flags: TCP_SYN | TCP_ACK, window, options: macos ? macSynOptions(mss, rng.nextU32()) : linuxSynOptions(mss, rng.nextU32(), tsOf(l4)) }] }];
        }
        const client = socket?.process === 'client';
        // a connected socket's segments: its next IP ID (inet_id counts up), the window its SYN
        // or SYN-ACK offered in scaled units, and timestamps (its own clock, the peer's echoed)
        const window = client ? (macos ? 502 : scaledWindow(initialWindow(mss))) : scaledWindow(initialWindow(mss - 12));
        // a SYN or a FIN takes one sequence number
        const ack = (l4.seq + ((l4.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0)) >>> 0;
        const segment = (flags: number, tsval: number, id: number): Packet => [
          { ...ipOut, id },
          { type: 'tcp', srcport: l4.dstport, dstport: l4.srcport, seq: l4.ack, ack, flags, window, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval, tsecr: tsOf(l4) }] },
        ];
        const nextId = () => {
          const id = socket?.inetId ?? ipOut.id;
          if (socket) socket.inetId = (id + 1) & 0xffff;
          return id;
        };
        const from = `${ip4.dst}:${l4.dstport}`;
        if (synAck && client) {
          const tsval = rng.nextU32();
          const handshakeAck = segment(TCP_ACK, tsval, nextId());
          return [
            { role: 'ack', packet: handshakeAck },
            {
              role: 'fin',
              phase: 'close',
              packet: segment(TCP_FIN | TCP_ACK, tsval, nextId()),
              explanation: `The client has nothing to send: shutdown(SHUT_WR) on its socket sends TCP FIN+ACK from ${from} to ${ip4.src}:${l4.srcport} — its side of the connection is closed (the socket goes to FIN_WAIT1).`,
            },
          ];
        }
        if ((l4.flags & TCP_FIN) === 0) return [];
        // tcp_fin: the peer closed its side; our own clock is what the peer echoes back
        const own = tsOf(l4, 'tsecr');
        if (client) {
          return [{ role: 'ack', phase: 'close', packet: segment(TCP_ACK, own, nextId()), explanation: `The client's kernel acknowledges the server's FIN: both sides are closed. The client's socket waits in TIME_WAIT (TCP_TIMEWAIT_LEN, 60 s) before its port ${l4.dstport} is free again.` }];
        }
        // the server's socket: an accepted socket of its own, its IP IDs from a random start
        const who = socket?.process ?? 'the server';
        return [
          { role: 'ack', phase: 'close', packet: segment(TCP_ACK, own, ipOut.id), explanation: `The server's kernel acknowledges the client's FIN (tcp_fin: the socket goes to CLOSE_WAIT; a read() by ${who} now returns end of file).` },
          { role: 'fin', phase: 'close', packet: segment(TCP_FIN | TCP_ACK, own, (ipOut.id + 1) & 0xffff), explanation: `${who} reads end of file and closes its socket: TCP FIN+ACK from ${from} to ${ip4.src}:${l4.srcport} (the socket goes to LAST_ACK).` },
        ];
      }
      if (l4?.type === 'udp') {
        const client = ns.listeners.find((s) => s.proto === 'udp' && s.port === l4.dstport)?.process === 'client';
        if (client) return [];
        const data = delivered[i + 2];
        return [{ role: 'reply', packet: [{ ...ipOut, df: false }, { type: 'udp', srcport: l4.dstport, dstport: l4.srcport } satisfies UdpLayer, ...(data ? [data] : [])] }];
      }
      return [];
    },
  };
}

/**
 * A segment's timestamp option: `tsval` the sender's clock, `tsecr` the clock of the receiver as
 * it last sent it (what a reply echoes, and what the receiver's own next segment carries on).
 */
function tsOf(t: TcpLayer, field: 'tsval' | 'tsecr' = 'tsval'): number {
  const ts = t.options.find((o) => o.kind === 'timestamp');
  return ts && ts.kind === 'timestamp' ? ts[field] : 0;
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
    // hosts run iputils, whose first echo is seq 1; pods run busybox, which starts at 0
    return [ip4(IPPROTO_ICMP, flow.df ?? true), { type: 'icmp', icmp_type: 8, code: 0, ident: rng.int(1, 0xffff), seq: ns.kind === 'root' ? 1 : 0 }, { type: 'data', length: flow.size ?? 56 }];
  }
  const sport = localPort(c, ns);
  if (sport === undefined) throw new Error(`no free local port in ${ns.id}`); // traceFlow says so first
  if (flow.proto === 'udp') {
    ns.listeners.push({ proto: 'udp', port: sport, process: 'client' });
    return [ip4(IPPROTO_UDP, flow.df ?? false), { type: 'udp', srcport: sport, dstport: dst.port ?? 53 }, { type: 'data', length: flow.size ?? 32 }];
  }
  const syn = ip4(IPPROTO_TCP, flow.df ?? true);
  // a connected socket's IP IDs start at a random value and count up (inet_id)
  ns.listeners.push({ proto: 'tcp', port: sport, process: 'client', inetId: (syn.id + 1) & 0xffff });
  const macos = c.spec.hosts.find((h) => h.name === ns.host && ns.name === 'root')?.os === 'macos';
  const mss = pathMtu(ns, dst.ip) - 40;
  return [
    syn,
    { type: 'tcp', srcport: sport, dstport: dst.port ?? 80, seq: rng.nextU32(), ack: 0, flags: TCP_SYN, window: macos ? 65535 : initialWindow(mss), options: macos ? macSynOptions(mss, rng.nextU32()) : linuxSynOptions(mss, rng.nextU32()) },
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
  const t = flow.kind === 'traceroute' ? traceroute(c, ns, dst.ip, 30, undefined, 1, 0, steps).trace : new PacketWalk(c.world, socketsFor(c), steps).run(ns, firstPacket(c, ns, flow, dst));
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
  /** who answered the hop's first answered probe: the ICMP error's source, or undefined for `* * *` */
  readonly from?: Ipv4;
  readonly reached: boolean;
  /** simulated round trip of that probe, milliseconds */
  readonly ms: number;
  /** what traceroute prints after the time for an unreachable: `!N`, `!H`, `!P`, `!F`, `!X`, … */
  readonly flag?: string;
  /** each probe of the hop: who answered, in how long, with what mark; undefined for `*` (no answer, or rate-limited) */
  readonly probes: readonly ({ readonly from: Ipv4; readonly ms: number; readonly flag?: string } | undefined)[];
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
 * What traceroute sends: UDP datagrams to port 33434 + n (the default), ICMP echo requests
 * (`-I`), or TCP SYNs to one port (`-T -p PORT`).
 */
export type TracerouteProbe = { readonly kind: 'udp' } | { readonly kind: 'icmp' } | { readonly kind: 'tcp'; readonly port: number };

function probePacket(c: Cluster, dst: Ipv4, ttl: number, probe: TracerouteProbe, ident: number): Packet {
  const rng = c.world.rng;
  const ip = (proto: number, df: boolean): Ipv4Layer => ({ type: 'ipv4', src: '0.0.0.0' as Ipv4, dst, ttl, proto, id: rng.int(0, 0xffff), df, dsfield: 0 });
  if (probe.kind === 'icmp') return [ip(IPPROTO_ICMP, false), { type: 'icmp', icmp_type: 8, code: 0, ident, seq: ttl }, { type: 'data', length: 32 }];
  if (probe.kind === 'tcp') {
    return [ip(IPPROTO_TCP, false), { type: 'tcp', srcport: rng.int(32768, 60999), dstport: probe.port, seq: rng.nextU32(), ack: 0, flags: TCP_SYN, window: 5840, options: [{ kind: 'mss', value: 1460 }, { kind: 'sack_perm' }, { kind: 'timestamp', tsval: rng.nextU32(), tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 2 }] }];
  }
  return [ip(IPPROTO_UDP, false), { type: 'udp', srcport: rng.int(32768, 60999), dstport: 33434 + ttl - 1 }, { type: 'data', length: 18 }];
}

/**
 * traceroute: `queries` probes with TTL 1, 2, … until the destination answers — port
 * unreachable to a UDP probe, an echo reply to an ICMP one, SYN-ACK or RST to a TCP one — or a
 * host/net unreachable stops it (`!H`/`!N`), or `maxHops` (1-255) hops went by. One probe at a
 * time, as busybox sends them: a silent one is waited for (`waitUs`), and the clock — and every
 * ICMP rate limit's refill — moves on meanwhile. Each probe is walked by the kernel model; the
 * hop is whoever sent the answer back. `steps` stops it after that many steps (the debugger's
 * state at a step).
 */
export function traceroute(c: Cluster, ns: NetNs, dst: Ipv4, maxHopsIn = 30, probe: TracerouteProbe = { kind: 'udp' }, queries = 1, waitUs = 0, steps = Infinity): { hops: TracerouteHop[]; trace: Trace } {
  const maxHops = Math.min(Math.max(Math.trunc(maxHopsIn) || 1, 1), TRACEROUTE_MAX_TTL);
  const hops: TracerouteHop[] = [];
  const events: Trace['events'][number][] = [];
  const packets: Trace['packets'][number][] = [];
  const ident = c.world.rng.int(1, 0xffff);
  let lastReason: string | undefined;
  let halted = false;
  for (let ttl = 1; ttl <= maxHops; ttl++) {
    const probes: TracerouteHop['probes'][number][] = [];
    let deadEnd = true;
    let reached = false;
    let unreachables = 0;
    for (let q = 0; q < queries && !halted; q++) {
      const walk = new PacketWalk(c.world, socketsFor(c), steps - events.length);
      const t = walk.run(ns, probePacket(c, dst, ttl, probe, ident), 'probe');
      const base = packets.length;
      for (const e of t.events) events.push({ ...e, seq: events.length, packetId: e.packetId + base });
      for (const p of t.packets) packets.push({ ...p, packetId: p.packetId + base });
      if (walk.halted) {
        halted = true;
        break;
      }
      // the answer: an ICMP error, or the destination's own reply (echo reply, SYN-ACK, RST)
      const answer = t.packets.find((p, k) => k > 0 && p.verdict === 'delivered' && p.host === ns.host && p.netns === ns.name && (p.role === 'icmp-error' || p.role === 'reply' || p.role === 'reset'));
      const ansEvent = answer ? t.events.filter((e) => e.packetId === answer.packetId).at(-1) : undefined;
      const ansIp = ansEvent ? (ansEvent.packet[ipIndex(ansEvent.packet)] as Ipv4Layer) : undefined;
      const icmp = ansEvent?.packet[ipIndex(ansEvent.packet) + 1];
      const unreachable = icmp?.type === 'icmp' && icmp.icmp_type === 3;
      const flag = unreachable ? unreachableFlag(icmp.code) : undefined;
      if (flag) unreachables++;
      if (ansIp?.src === dst || (unreachable && icmp.code === 3)) reached = true;
      probes.push(ansIp && ansEvent ? { from: ansIp.src, ms: (ansEvent.timeUs - t.events[0]!.timeUs) / 1000, ...(flag ? { flag } : {}) } : undefined);
      if (!ansIp) c.world.tick(waitUs);
      const probeOutcome = t.packets[0]!;
      // why this probe got no useful answer: its own drop, or the drop of the answer on its way back
      const lostAnswer = t.packets.find((p, k) => k > 0 && p.verdict === 'dropped');
      lastReason = flag
        ? `${ansIp!.src} answered destination unreachable (${flag})`
        : probeOutcome.verdict === 'dropped'
          ? probeOutcome.reason
          : lostAnswer
            ? `the answer to the probe was dropped at ${lostAnswer.host}/${lostAnswer.netns} (${lostAnswer.reason})`
            : ansIp
              ? undefined
              : `the probe reached ${probeOutcome.host}/${probeOutcome.netns} but no ICMP answer came back`;
      // a probe that died silently for a reason other than its TTL (no route, no ARP answer)
      // dies the same way with any larger TTL in this unchanging state
      if (ansIp || probeOutcome.reason === 'TTL_EXPIRED') deadEnd = false;
    }
    if (halted) break;
    const first = probes.find((x) => x !== undefined);
    hops.push({ ttl, from: first?.from, reached, ms: first?.ms ?? 0, ...(first?.flag ? { flag: first.flag } : {}), probes });
    if (reached) break;
    // an unreachable ends traceroute (busybox: `unreachable >= nprobes - 1`)
    if (unreachables > 0 && unreachables >= queries - 1) break;
    if (deadEnd) {
      for (let more = ttl + 1; more <= maxHops; more++) hops.push({ ttl: more, reached: false, ms: 0, probes: Array.from({ length: queries }, () => undefined) });
      break;
    }
  }
  const done = hops.at(-1)?.reached === true;
  const reason = done ? undefined : (lastReason ?? `no answer from ${dst} within ${maxHops} hops`);
  return { hops, trace: { events, packets, verdict: done ? 'delivered' : 'dropped', reason } };
}
