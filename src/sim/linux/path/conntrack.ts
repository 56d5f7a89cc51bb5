import { ipIndex, l4Of } from '../../net/edit.ts';
import type { Ipv4Layer, Packet } from '../../net/packet.ts';
import type { Connection, Tuple } from '../conntrack.ts';
import type { HookName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// Connection tracking in the packet path (net/netfilter/nf_conntrack_core.c): lookup or create, confirm at the end of the hooks.

/** nf_conntrack_in: find the packet's connection or start a new (unconfirmed) one, and run the protocol's state machine. */
export function conntrackIn(w: PacketWalk, ns: NetNs, skb: Skb, hook: HookName): void {
  skb.conn = undefined;
  skb.dir = undefined;
  skb.related = false;
  skb.invalid = false;
  if (!conntrackActive(ns)) return;
  const t = tupleOf(skb.packet);
  if (!t) return;
  const l4 = l4Of(skb.packet);
  const flags = l4?.type === 'tcp' ? l4.flags : 0;
  const found = ns.conntrack.find(t);
  if (found) {
    skb.conn = found.conn;
    skb.dir = found.dir;
    // a state change becomes visible with this step (just after the previous one)
    const u = ns.conntrack.update(found.conn, found.dir, flags, w.pendingUs);
    skb.invalid = u.invalid;
    skb.mark = found.conn.mark || skb.mark;
    const state = u.after === undefined ? '' : u.before !== u.after ? ` TCP ${u.before} → ${u.after}${u.assuredNow ? ', and the handshake is complete: ASSURED' : ''}.` : ` TCP state stays ${u.after}.`;
    // ctinfo: IP_CT_NEW in the original direction until a reply has been seen
    const ctinfo = u.invalid ? 'INVALID' : found.dir === 'reply' ? 'ESTABLISHED (reply)' : found.conn.seenReply ? 'ESTABLISHED' : 'NEW';
    w.emit(ns, 'conntrack', skb, {
      hook,
      ref: { table: 'conntrack', row: conntrackRow(ns, found.conn) },
      verdict: ctinfo,
      conn: found.conn,
      explanation: u.invalid
        ? `conntrack: this ${l4?.type === 'tcp' ? 'segment' : 'packet'} does not fit the connection's TCP state ${u.before} (nf_conntrack_proto_tcp.c's table says invalid): ctstate INVALID.`
        : `conntrack: this packet belongs to a known connection (${found.dir === 'reply' ? 'reply direction' : 'original direction'}); the nat table is not consulted again.${state}`,
    });
    return;
  }
  if (l4?.type === 'icmp' && l4.icmp_type !== 8 && l4.icmp_type !== 0) {
    const inner = tupleOf(skb.packet.slice(ipIndex(skb.packet) + 2));
    const rel = inner ? ns.conntrack.find(invertTuple(inner)) ?? ns.conntrack.find(inner) : undefined;
    if (rel) {
      skb.conn = rel.conn;
      skb.dir = rel.dir;
      skb.related = true;
      w.emit(ns, 'conntrack', skb, { hook, ref: { table: 'conntrack', row: conntrackRow(ns, rel.conn) }, verdict: 'RELATED', conn: rel.conn, explanation: 'conntrack: an ICMP error about a tracked connection is RELATED to it.' });
      return;
    }
  }
  const conn = ns.conntrack.create(t, flags);
  if (!conn) {
    // tcp_new: a first segment that is neither a SYN nor something it may pick up is not tracked
    skb.invalid = true;
    w.emit(ns, 'conntrack', skb, {
      hook,
      ref: { table: 'conntrack' },
      verdict: 'INVALID',
      explanation: `conntrack: no entry for ${t.proto} ${t.src}:${t.sport} → ${t.dst}:${t.dport}, and a segment with these flags cannot start one (tcp_new): ctstate INVALID, untracked.`,
    });
    return;
  }
  skb.conn = conn;
  skb.dir = 'orig';
  w.emit(ns, 'conntrack', skb, {
    hook,
    ref: { table: 'conntrack' },
    verdict: 'NEW',
    conn,
    explanation: `conntrack: no entry for ${t.proto} ${t.src}:${t.sport} → ${t.dst}:${t.dport}; a NEW connection starts${conn.tcpState ? ` in TCP state ${conn.tcpState} (timeout ${conn.timeoutSec} s)` : ''}, so this first packet will traverse the nat table. It enters the table (conntrack -L) once the packet has passed the last hook.`,
  });
}

/** __nf_conntrack_confirm at the end of POSTROUTING / INPUT: a new connection enters the table. */
export function confirm(w: PacketWalk, ns: NetNs, skb: Skb): void {
  if (skb.conn && !skb.related && !ns.conntrack.isConfirmed(skb.conn)) {
    skb.conn.mark = skb.mark;
    ns.conntrack.confirm(skb.conn, w.pendingUs);
  }
}

export function tupleOf(p: Packet): Tuple | undefined {
  const i = ipIndex(p);
  if (i < 0) return undefined;
  const ip4 = p[i] as Ipv4Layer;
  const l4 = p[i + 1];
  if (l4?.type === 'tcp' || l4?.type === 'udp') return { proto: l4.type, src: ip4.src, dst: ip4.dst, sport: l4.srcport, dport: l4.dstport };
  if (l4?.type === 'icmp') {
    const id = l4.ident ?? 0;
    return { proto: 'icmp', src: ip4.src, dst: ip4.dst, sport: id, dport: id };
  }
  return undefined;
}

export function invertTuple(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

export function conntrackRow(ns: NetNs, conn: Connection): number | undefined {
  const row = ns.conntrack.connections.indexOf(conn);
  return row < 0 ? undefined : row;
}

/** conntrack runs in a namespace once netfilter rules there need it (nat or ctstate matches). */
export function conntrackActive(ns: NetNs): boolean {
  return ns.kind === 'root';
}
