import type { Ipv4 } from '../../net/addr.ts';
import { ipIndex, l4Of } from '../../net/edit.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, TCP_ACK, TCP_RST, type IcmpLayer, type Ipv4Layer, type Packet, type TcpLayer } from '../../net/packet.ts';
import type { NetNs } from '../netns.ts';
import { type Skb, ip } from './skb.ts';
import { type PacketWalk, DEFAULT_TTL } from './walk.ts';

// ICMP and the kernel's own answers (net/ipv4/icmp.c, tcp_ipv4.c): errors, echo replies, resets.

/**
 * icmp_send: an error about `skb` back to its source. The source address is the original
 * destination when that was local, else the address the route back to the sender prefers.
 * Returns what became of the error, for the drop's explanation.
 */
export function icmpError(w: PacketWalk, ns: NetNs, skb: Skb, type: number, code: number, isError: boolean, mtu?: number): string {
  const orig = ip(skb);
  const l4 = l4Of(skb.packet);
  const name = icmpName({ type: 'icmp', icmp_type: type, code });
  if (isError || (l4?.type === 'icmp' && l4.icmp_type !== 8 && l4.icmp_type !== 0)) return 'no ICMP error is sent about an ICMP error'; // RFC 1122
  let src: Ipv4 | undefined;
  if (ns.isLocal(orig.dst)) src = orig.dst;
  else {
    const back = w.lookup(ns, orig.src);
    if (!back) return `ICMP ${name} cannot be sent: there is no route back to ${orig.src}`;
    src = back.route.src ?? ns.selectSrc(back.route.dev, back.route.via ?? orig.src);
  }
  if (!src) return `ICMP ${name} cannot be sent: no source address`;
  if (!rateAllowed(w, ns, type, code, orig.src)) return `the kernel would answer ICMP ${name}, but ${orig.src} already got its burst of errors: icmp_ratelimit allows one a second after six`;
  const quoted = skb.packet.slice(ipIndex(skb.packet));
  const packet: Packet = [
    { type: 'ipv4', src, dst: orig.src, ttl: DEFAULT_TTL, proto: IPPROTO_ICMP, id: w.world.rng.int(0, 0xffff), df: false, dsfield: 0xc0 },
    { type: 'icmp', icmp_type: type, code, ...(mtu !== undefined ? { mtu } : {}) },
    ...quoted,
  ];
  w.queue.push({ ns, packet, role: 'icmp-error', isError: true });
  return `the kernel answers ICMP ${name} to ${orig.src}`;
}

/** icmp_ratemask's default: destination unreachable, source quench, time exceeded, parameter problem. */
const RATEMASK = (1 << 3) | (1 << 4) | (1 << 11) | (1 << 12);
/** net.ipv4.icmp_ratelimit (ms) and icmp_msgs_per_sec / icmp_msgs_burst */
const RATELIMIT_MS = 1000;
const MSGS_PER_SEC = 1000;
const MSGS_BURST = 50;

/**
 * icmpv4_global_allow + icmpv4_xrlim_allow: an error of a limited type (never frag-needed, which
 * path MTU discovery needs) spends one of the namespace's credits (icmp_msgs_per_sec, refilled
 * at most every 20 ms; a send spends 0–2 at random) and a token of the destination's bucket
 * (inet_peer_xrlim_allow: one per icmp_ratelimit ms, at most six banked). Not for loopback.
 */
function rateAllowed(w: PacketWalk, ns: NetNs, type: number, code: number, dst: Ipv4): boolean {
  if (!((1 << type) & RATEMASK) || (type === 3 && code === 4) || ns.isLocal(dst)) return true;
  const now = Math.floor(w.world.timeUs / 1000);
  const lim = ns.icmpLimit;
  if (lim.credit <= 0) {
    const delta = Math.min(now - lim.stampMs, 1000);
    const incr = Math.floor((MSGS_PER_SEC * delta) / 1000);
    if (delta < 20 || incr === 0) return false;
    lim.stampMs = now;
    lim.credit = Math.min(lim.credit + incr, MSGS_BURST);
  }
  const peer = lim.peers.get(dst) ?? { tokens: 0, lastMs: 0 };
  let tokens = Math.min(peer.tokens + (now - peer.lastMs), 6 * RATELIMIT_MS);
  const ok = tokens >= RATELIMIT_MS;
  if (ok) tokens -= RATELIMIT_MS;
  lim.peers.set(dst, { tokens, lastMs: now });
  if (ok) lim.credit -= w.world.rng.int(0, 2);
  return ok;
}

export function echoReply(req: Packet): Packet {
  const i = ipIndex(req);
  const ip4 = req[i] as Ipv4Layer;
  const icmp = req[i + 1] as IcmpLayer;
  return [
    { ...ip4, src: ip4.dst, dst: ip4.src, ttl: DEFAULT_TTL, id: (ip4.id + 1) & 0xffff, df: false },
    { ...icmp, icmp_type: 0 },
    ...req.slice(i + 2),
  ];
}

export function tcpReset(req: Packet): Packet {
  const i = ipIndex(req);
  const ip4 = req[i] as Ipv4Layer;
  const tcp = req[i + 1] as TcpLayer;
  return [
    { type: 'ipv4', src: ip4.dst, dst: ip4.src, ttl: DEFAULT_TTL, proto: IPPROTO_TCP, id: 0, df: true, dsfield: 0 },
    { type: 'tcp', srcport: tcp.dstport, dstport: tcp.srcport, seq: 0, ack: (tcp.seq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, options: [] },
  ];
}

export function rejectCode(w: string): number {
  switch (w) {
    case 'icmp-net-unreachable':
      return 0;
    case 'icmp-host-unreachable':
      return 1;
    case 'icmp-proto-unreachable':
      return 2;
    case 'icmp-net-prohibited':
      return 9;
    case 'icmp-host-prohibited':
      return 10;
    case 'icmp-admin-prohibited':
      return 13;
    default:
      return 3;
  }
}

export function icmpName(l: IcmpLayer): string {
  if (l.icmp_type === 0) return 'echo reply';
  if (l.icmp_type === 8) return 'echo request';
  if (l.icmp_type === 11) return 'time exceeded';
  if (l.icmp_type === 3) {
    return ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed'][l.code] ?? `destination unreachable (code ${l.code})`;
  }
  return `type ${l.icmp_type}`;
}
