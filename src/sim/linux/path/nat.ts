import type { Ipv4 } from '../../net/addr.ts';
import { ipIndex } from '../../net/edit.ts';
import type { FieldChange, Ipv4Layer, TcpLayer } from '../../net/packet.ts';
import { isDstNat, isSrcNat } from '../conntrack.ts';
import type { NatAction } from '../netfilter/engine.ts';
import type { HookName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import { invertTuple, conntrackRow } from './conntrack.ts';
import { ipvsOut } from './ipvs.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// NAT (net/netfilter/nf_nat_core.c): bind a new connection's translation, apply it to later packets and to RELATED ICMP errors.

/** nf_nat_setup_info for a new connection: record the binding in the reply tuple, rewrite the packet. */
export function bindNat(w: PacketWalk, ns: NetNs, skb: Skb, nat: NatAction, hook: HookName): void {
  const conn = skb.conn!;
  const i = ipIndex(skb.packet);
  const ip4 = skb.packet[i] as Ipv4Layer;
  const l4 = skb.packet[i + 1];
  const hasPorts = l4?.type === 'tcp' || l4?.type === 'udp';
  let changed: FieldChange[] = [];
  let what: string;
  if (nat.kind === 'DNAT') {
    changed = w.edit(skb, i, { dst: nat.addr });
    if (nat.port !== undefined && hasPorts) changed = changed.concat(w.edit(skb, i + 1, { dstport: nat.port }));
    ns.conntrack.alterReply(conn, { ...conn.reply, src: nat.addr as Ipv4, sport: nat.port !== undefined && hasPorts ? nat.port : conn.reply.sport });
    what = `DNAT: destination ${ip4.dst}${hasPorts ? `:${(l4 as TcpLayer).dstport}` : ''} → ${nat.addr}${nat.port !== undefined ? `:${nat.port}` : ''}. conntrack records the binding so the reply will be translated back.`;
  } else {
    const outDevName = w.lookup(ns, ip4.dst)?.route.dev;
    const addr = nat.kind === 'SNAT' ? nat.addr : outDevName ? ns.selectSrc(outDevName, ip4.dst) : undefined;
    if (!addr) return w.drop(ns, skb, 'NAT_NO_ADDR', 'MASQUERADE found no address on the output device');
    changed = w.edit(skb, i, { src: addr });
    const random = nat.kind === 'MASQUERADE' ? nat.randomFully === true : nat.random === true;
    const port = random ? randomSourcePort(w, skb, i + 1) : undefined;
    if (port !== undefined) changed = changed.concat(port.changed);
    // an ICMP tuple carries the echo id on both sides
    const icmpId = port && conn.reply.proto === 'icmp' ? { sport: port.to } : {};
    ns.conntrack.alterReply(conn, { ...conn.reply, dst: addr as Ipv4, dport: port?.to ?? conn.reply.dport, ...icmpId });
    const how = port ? ` and source ${port.what} ${port.from} → ${port.to}, drawn at random (--random${nat.kind === 'MASQUERADE' ? '-fully' : ''})` : '';
    what =
      nat.kind === 'MASQUERADE'
        ? `MASQUERADE: source ${ip4.src} → ${addr}, the address of ${outDevName}, the device the packet leaves by${how}. Replies will come back to ${addr} and conntrack will translate them back to ${ip4.src}.`
        : `SNAT: source ${ip4.src} → ${addr}${how}.`;
  }
  w.emit(ns, 'nat', skb, { hook, changed, verdict: nat.kind, conn, ref: { table: 'conntrack', row: conntrackRow(ns, conn) }, explanation: what });
}

/**
 * nf_nat_l4proto_unique_tuple with a random range flag: the source port (the echo id for ICMP)
 * is drawn, not kept — for a port ≥ 1024 from 1024–65535, below 512 from 1–511, else 600–1023;
 * an echo id from 0–65535. Without the flag the kernel keeps the port unless it clashes.
 */
function randomSourcePort(w: PacketWalk, skb: Skb, l4Index: number): { from: number; to: number; what: string; changed: FieldChange[] } | undefined {
  const l4 = skb.packet[l4Index];
  if (l4?.type === 'icmp' && l4.ident !== undefined && (l4.icmp_type === 8 || l4.icmp_type === 0)) {
    const to = w.world.rng.int(0, 0xffff);
    return { from: l4.ident, to, what: 'echo id', changed: w.edit(skb, l4Index, { ident: to }) };
  }
  if (l4?.type !== 'tcp' && l4?.type !== 'udp') return undefined;
  const from = l4.srcport;
  const [min, max] = from >= 1024 ? [1024, 65535] : from < 512 ? [1, 511] : [600, 1023];
  const to = w.world.rng.int(min, max);
  return { from, to, what: 'port', changed: w.edit(skb, l4Index, { srcport: to }) };
}

/** nf_nat_packet for later packets: the connection's binding applies without the nat table. */
export function translateExisting(w: PacketWalk, ns: NetNs, skb: Skb, hook: HookName): void {
  const conn = skb.conn!;
  const target = skb.dir === 'orig' ? invertTuple(conn.reply) : invertTuple(conn.orig);
  // an IPVS connection's destination has no nf_nat binding: ip_vs_in rewrites each request
  // itself. Its source binding is nf_nat's own — the MASQUERADE its first packet met in
  // POSTROUTING (a NodePort's KUBE-MARK-MASQ) — and nf_nat_packet applies it to every later
  // packet of the connection (net.ipv4.vs.conntrack=1 keeps the conntrack entry)
  const dstSide = (hook === 'PREROUTING' || hook === 'OUTPUT') && !(conn.ipvs && skb.dir === 'orig');
  const srcSide = hook === 'POSTROUTING' || hook === 'INPUT';
  const i = ipIndex(skb.packet);
  const ip4 = skb.packet[i] as Ipv4Layer;
  const l4 = skb.packet[i + 1];
  const hasPorts = l4?.type === 'tcp' || l4?.type === 'udp';
  const echoId = l4?.type === 'icmp' && (l4.icmp_type === 8 || l4.icmp_type === 0) ? l4.ident : undefined;
  let changed: FieldChange[] = [];
  // a masquerade onto the address the packet already had changes only the port (--random-fully)
  const port = hasPorts ? (l4 as TcpLayer) : undefined;
  if (dstSide && (ip4.dst !== target.dst || (port && port.dstport !== target.dport) || (echoId !== undefined && echoId !== target.dport))) {
    changed = w.edit(skb, i, { dst: target.dst });
    if (hasPorts) changed = changed.concat(w.edit(skb, i + 1, { dstport: target.dport }));
    if (echoId !== undefined && echoId !== target.dport) changed = changed.concat(w.edit(skb, i + 1, { ident: target.dport }));
  }
  if (srcSide && (ip4.src !== target.src || (port && port.srcport !== target.sport) || (echoId !== undefined && echoId !== target.sport))) {
    changed = changed.concat(w.edit(skb, i, { src: target.src }));
    if (hasPorts) changed = changed.concat(w.edit(skb, i + 1, { srcport: target.sport }));
    if (echoId !== undefined && echoId !== target.sport) changed = changed.concat(w.edit(skb, i + 1, { ident: target.sport }));
  }
  if (changed.length === 0) return;
  const reverse = skb.dir === 'reply';
  if (reverse && conn.ipvs && ns.ipvs) ipvsOut(w, ns.ipvs, conn, skb);
  w.emit(ns, 'nat', skb, {
    hook,
    changed,
    verdict: reverse ? (conn.ipvs ? 'IPVS reply' : 'reverse NAT') : 'NAT binding',
    conn,
    ref: { table: 'conntrack', row: conntrackRow(ns, conn) },
    explanation: reverse && conn.ipvs
      ? `IPVS (ip_vs_out) rewrites the real server's reply back to the virtual server: ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}.`
      : reverse
      ? `conntrack reverses the connection's NAT on this reply: ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')} — the peer sees the address it talked to.`
      : `conntrack applies the connection's existing NAT binding (only the first packet traverses the nat table): ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}.`,
  });
}

/**
 * nf_nat_icmp_reply_translation: an ICMP error about a NATed connection gets the outer header
 * translated like the connection's own packets would be, and the quoted packet inside it the
 * other way round, so the original sender recognises its own packet.
 */
export function translateRelated(w: PacketWalk, ns: NetNs, skb: Skb, hook: HookName): void {
  const conn = skb.conn!;
  const toward = skb.dir === 'reply' ? conn.orig : conn.reply; // the tuple of the quoted packet's direction
  const target = invertTuple(toward);
  const dnat = isDstNat(conn);
  const snat = isSrcNat(conn);
  const dstSide = hook === 'PREROUTING' || hook === 'OUTPUT';
  const srcSide = hook === 'POSTROUTING' || hook === 'INPUT';
  // which NAT the error must undo in this direction (statusbit ^ IPS_NAT_MASK for replies)
  const applies = skb.dir === 'reply' ? (dstSide ? snat : dnat) : dstSide ? dnat : snat;
  if (!applies || (!dstSide && !srcSide)) return;
  const i = ipIndex(skb.packet);
  const q = i + 2; // the quoted IPv4 header
  const quoted = skb.packet[q];
  if (quoted?.type !== 'ipv4') return;
  const ql4 = skb.packet[q + 1];
  const qHasPorts = ql4?.type === 'tcp' || ql4?.type === 'udp';
  // a quoted echo carries its id where a port would be (a --random-fully masquerade draws it)
  const qEcho = ql4?.type === 'icmp' && (ql4.icmp_type === 8 || ql4.icmp_type === 0);
  let changed: FieldChange[] = [];
  if (dstSide) {
    changed = w.edit(skb, i, { dst: target.dst });
    changed = changed.concat(w.edit(skb, q, { src: toward.src }));
    if (qHasPorts) changed = changed.concat(w.edit(skb, q + 1, { srcport: toward.sport }));
    if (qEcho) changed = changed.concat(w.edit(skb, q + 1, { ident: toward.sport }));
  } else {
    changed = w.edit(skb, i, { src: target.src });
    changed = changed.concat(w.edit(skb, q, { dst: toward.dst }));
    if (qHasPorts) changed = changed.concat(w.edit(skb, q + 1, { dstport: toward.dport }));
    if (qEcho) changed = changed.concat(w.edit(skb, q + 1, { ident: toward.dport }));
  }
  if (changed.length === 0) return;
  w.emit(ns, 'nat', skb, {
    hook,
    changed,
    verdict: 'RELATED NAT',
    conn,
    ref: { table: 'conntrack', row: conntrackRow(ns, conn) },
    explanation: `This ICMP error is RELATED to a NATed connection: conntrack translates its ${dstSide ? 'destination' : 'source'} and the packet quoted inside it (${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}) so the sender recognises its own packet.`,
  });
}
