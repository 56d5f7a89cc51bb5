import { ipIndex, l4Of } from '../../net/edit.ts';
import type { Ipv4Layer, Packet } from '../../net/packet.ts';
import type { Connection, Tuple } from '../conntrack.ts';
import type { HookName, Rule } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import type { NftSelector, NftStmt } from '../nftables/types.ts';
import { reassemble } from './output.ts';
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
  // nf_defrag_ipv4 (priority -400) hands conntrack whole datagrams
  reassemble(w, ns, skb, 'nf_defrag_ipv4, ahead of conntrack,');
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
    // the skb mark is not restored from ct->mark here: only CONNMARK --restore-mark (xt_connmark.c) or `meta mark set ct mark` do that
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
  const conn = ns.conntrack.create(t, flags, w.pendingUs);
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

/**
 * __nf_conntrack_confirm at the end of POSTROUTING / INPUT: a new connection enters the table.
 * Its ct->mark stays what init_conntrack gave it (0): the skb's mark (Felix's 0x10000 accept
 * bit, kube-proxy's 0x4000) is not copied; only CONNMARK --save-mark / `ct mark set` write it.
 */
export function confirm(w: PacketWalk, ns: NetNs, skb: Skb): void {
  if (skb.conn && !skb.related && !ns.conntrack.isConfirmed(skb.conn)) {
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

/**
 * Conntrack runs in a namespace only while a rule there needs it: its hooks are registered per
 * namespace by nf_ct_netns_get, which the rules' checkentry calls — xt_conntrack's ctstate
 * match, the DNAT/SNAT targets (xt_nat), MASQUERADE. A namespace without such a rule (a pod, a
 * plain LAN host, a router) tracks nothing, not even with an empty nat table (checked on a
 * real kernel: `conntrack -L` stays empty there). nf_tables asks for it the same way: a `ct`
 * expression (nft_ct_get_init) or a nat statement, and a chain of type nat (nft_chain_nat).
 */
export function conntrackActive(ns: NetNs): boolean {
  for (const table of Object.values(ns.nf)) {
    for (const chain of table.values()) {
      for (const r of chain.rules) if (needsConntrack(r)) return true;
    }
  }
  for (const table of ns.nft.tables) {
    for (const chain of table.chains.values()) {
      if (chain.base?.type === 'nat') return true;
      for (const r of chain.rules) if (r.stmts.some(nftNeedsConntrack)) return true;
    }
  }
  return false;
}

function nftNeedsConntrack(s: NftStmt): boolean {
  const usesCt = (sel: NftSelector): boolean => sel.k === 'ct' || (sel.k === 'concat' && sel.parts.some(usesCt)) || (sel.k === 'binop' && usesCt(sel.left));
  if (s.k === 'nat' || s.k === 'masquerade') return true;
  if (s.k === 'match') return usesCt(s.left);
  if (s.k === 'vmap' || s.k === 'set-update') return usesCt(s.key);
  return false;
}

function needsConntrack(r: Rule): boolean {
  return r.target.t === 'DNAT' || r.target.t === 'SNAT' || r.target.t === 'MASQUERADE' || r.matches.some((m) => m.m === 'conntrack');
}
