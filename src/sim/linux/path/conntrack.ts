import { ipIndex, l4Of } from '../../net/edit.ts';
import type { Ipv4Layer, Packet } from '../../net/packet.ts';
import type { Connection, Tuple } from '../conntrack.ts';
import type { HookName, Rule } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import { reassemble } from './output.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// Connection tracking in the packet path (net/netfilter/nf_conntrack_core.c): lookup or create, confirm at the end of the hooks.

/** nf_conntrack_in: find the packet's connection or start a new (unconfirmed) one. */
export function conntrackIn(w: PacketWalk, ns: NetNs, skb: Skb, hook: HookName): void {
  skb.conn = undefined;
  skb.dir = undefined;
  skb.related = false;
  if (!conntrackActive(ns)) return;
  // nf_defrag_ipv4 (priority -400) hands conntrack whole datagrams
  reassemble(w, ns, skb, 'nf_defrag_ipv4, ahead of conntrack,');
  const t = tupleOf(skb.packet);
  if (!t) return;
  const found = ns.conntrack.find(t);
  if (found) {
    skb.conn = found.conn;
    skb.dir = found.dir;
    if (found.dir === 'reply' && !found.conn.seenReply) {
      found.conn.seenReply = true;
      if (found.conn.tcpState === 'SYN_SENT') found.conn.tcpState = 'SYN_RECV';
    } else if (found.dir === 'orig' && found.conn.seenReply && found.conn.tcpState === 'SYN_RECV') {
      found.conn.tcpState = 'ESTABLISHED';
    }
    skb.mark = found.conn.mark || skb.mark;
    w.emit(ns, 'conntrack', skb, {
      hook,
      ref: { table: 'conntrack', row: conntrackRow(ns, found.conn) },
      verdict: found.dir === 'reply' ? 'ESTABLISHED (reply)' : 'ESTABLISHED',
      explanation: `conntrack: this packet belongs to a known connection (${found.dir === 'reply' ? 'reply direction' : 'original direction'}); the nat table is not consulted again.`,
    });
    return;
  }
  const l4 = l4Of(skb.packet);
  if (l4?.type === 'icmp' && l4.icmp_type !== 8 && l4.icmp_type !== 0) {
    const inner = tupleOf(skb.packet.slice(ipIndex(skb.packet) + 2));
    const rel = inner ? ns.conntrack.find(invertTuple(inner)) ?? ns.conntrack.find(inner) : undefined;
    if (rel) {
      skb.conn = rel.conn;
      skb.dir = rel.dir;
      skb.related = true;
      w.emit(ns, 'conntrack', skb, { hook, ref: { table: 'conntrack', row: conntrackRow(ns, rel.conn) }, verdict: 'RELATED', explanation: 'conntrack: an ICMP error about a tracked connection is RELATED to it.' });
      return;
    }
  }
  const conn = ns.conntrack.create(t);
  if (t.proto === 'tcp') conn.tcpState = 'SYN_SENT';
  skb.conn = conn;
  skb.dir = 'orig';
  w.emit(ns, 'conntrack', skb, {
    hook,
    ref: { table: 'conntrack' },
    verdict: 'NEW',
    explanation: `conntrack: no entry for ${t.proto} ${t.src}:${t.sport} → ${t.dst}:${t.dport}; a NEW connection starts, so this first packet will traverse the nat table.`,
  });
}

export function confirm(w: PacketWalk, ns: NetNs, skb: Skb): void {
  if (skb.conn && !skb.related && !ns.conntrack.isConfirmed(skb.conn)) {
    skb.conn.mark = skb.mark;
    skb.conn.createdUs = w.world.timeUs;
    ns.conntrack.confirm(skb.conn);
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

/**
 * Conntrack runs in a namespace only while a rule there needs it: its hooks are registered per
 * namespace by nf_ct_netns_get, which the rules' checkentry calls — xt_conntrack's ctstate
 * match, the DNAT/SNAT targets (xt_nat), MASQUERADE. A namespace without such a rule (a pod, a
 * plain LAN host, a router) tracks nothing, not even with an empty nat table (checked on a
 * real kernel: `conntrack -L` stays empty there).
 */
export function conntrackActive(ns: NetNs): boolean {
  for (const table of Object.values(ns.nf)) {
    for (const chain of table.values()) {
      for (const r of chain.rules) if (needsConntrack(r)) return true;
    }
  }
  return false;
}

function needsConntrack(r: Rule): boolean {
  return r.target.t === 'DNAT' || r.target.t === 'SNAT' || r.target.t === 'MASQUERADE' || r.matches.some((m) => m.m === 'conntrack');
}
