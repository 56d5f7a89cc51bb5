import { ipIndex, l4Of } from '../../net/edit.ts';
import { ipLength } from '../../net/encode.ts';
import type { Ipv4Layer } from '../../net/packet.ts';
import type { Connection } from '../conntrack.ts';
import type { IpvsTable } from '../ipvs.ts';
import type { NetNs } from '../netns.ts';
import { icmpError } from './icmp.ts';
import { hook, applyVerdict } from './netfilter.ts';
import { unreachable, emitRoute, postRouting } from './output.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// IPVS in the packet path (net/netfilter/ipvs/ip_vs_core.c, ip_vs_xmit.c): scheduling at LOCAL_IN, NAT forwarding, replies.

/**
 * ip_vs_remote_request4 → ip_vs_in: a packet for a virtual server is scheduled to a real
 * server (or follows its existing IPVS connection), its destination rewritten (Masq), and
 * ip_vs_nat_xmit sends it on: a route lookup, the TTL decrement (decrement_ttl), then the
 * LOCAL_OUT hook and POSTROUTING. With net.ipv4.vs.conntrack=1 the conntrack entry learns
 * the real server, so replies are recognised and translated back.
 */
export function ipvsIn(w: PacketWalk, ns: NetNs, ipvs: IpvsTable, skb: Skb): boolean {
  const i = ipIndex(skb.packet);
  const ip4 = skb.packet[i] as Ipv4Layer;
  const l4 = skb.packet[i + 1];
  if (l4?.type !== 'tcp' && l4?.type !== 'udp') return false;
  const proto = l4.type === 'tcp' ? 'TCP' : 'UDP';
  const found = ipvs.find(proto, ip4.dst, l4.dstport);
  if (!found) return false;
  const { service, row } = found;
  let conn = ipvs.connFor(proto, ip4.src, l4.srcport, ip4.dst, l4.dstport);
  let dest = conn ? service.dests.find((d) => d.addr === conn!.daddr && d.port === conn!.dport) : undefined;
  const svcText = `${proto}  ${service.addr}:${service.port} ${service.scheduler}`;
  const nowSec = Math.floor(w.world.timeUs / 1e6);
  if (!conn || !dest) {
    dest = ipvs.schedule(service, ip4.src, l4.srcport, w.world.rng, nowSec);
    if (!dest) {
      w.emit(ns, 'ipvs', skb, { ref: { table: 'ipvs', row, text: svcText }, verdict: 'no destination', explanation: `IPVS virtual server ${svcText} has no real server with weight > 0.` });
      icmpError(w, ns, skb, 3, 3, false);
      return w.drop(ns, skb, 'IPVS_NO_DEST', `ip_vs_leave: no real server for ${service.addr}:${service.port}; IPVS answers ICMP port unreachable`);
    }
    conn = ipvs.conns.at(-1)!;
    w.emit(ns, 'ipvs', skb, {
      ref: { table: 'ipvs', row, text: svcText },
      verdict: `${dest.addr}:${dest.port}`,
      decision: ipvs.lastWhy,
      explanation: `${ip4.dst}:${l4.dstport} is an IPVS virtual server (${svcText}); the ${service.scheduler} scheduler picks real server ${dest.addr}:${dest.port} (Masq, weight ${dest.weight}) and IPVS records the connection. ${ipvs.lastWhy}`,
    });
  } else {
    ipvs.transition(conn, 'in', l4.type === 'tcp' ? l4.flags : {}, nowSec);
    w.emit(ns, 'ipvs', skb, {
      ref: { table: 'ipvs', row, text: svcText },
      verdict: `${dest.addr}:${dest.port}`,
      explanation: `IPVS connection table: ${ip4.src}:${l4.srcport} → ${ip4.dst}:${l4.dstport} already goes to ${dest.addr}:${dest.port} (${conn.state}).`,
    });
  }
  service.stats.inpkts++;
  dest.stats.inpkts++;
  const len = ipLength(skb.packet);
  service.stats.inbytes += len;
  dest.stats.inbytes += len;
  let changed = w.edit(skb, i, { dst: dest.addr });
  changed = changed.concat(w.edit(skb, i + 1, { dstport: dest.port }));
  if (skb.conn && !ns.conntrack.isConfirmed(skb.conn)) {
    ns.conntrack.alterReply(skb.conn, { ...skb.conn.reply, src: dest.addr, sport: dest.port });
    skb.conn.ipvs = true;
    skb.conn.natDoneDst = true;
  }
  w.emit(ns, 'nat', skb, { hook: 'INPUT', changed, ref: { table: 'ipvs', row, text: svcText }, explanation: `IPVS masquerading (NAT) forwarding: destination ${ip4.dst}:${l4.dstport} → ${dest.addr}:${dest.port}.` });
  const m = w.lookup(ns, dest.addr);
  if (!m) return unreachable(w, ns, skb, dest.addr);
  emitRoute(w, ns, skb, dest.addr, m);
  const ttl = (skb.packet[i] as Ipv4Layer).ttl;
  if (ttl <= 1) {
    const sent = icmpError(w, ns, skb, 11, 0, false);
    return w.drop(ns, skb, 'TTL_EXPIRED', `TTL ${ttl} would reach 0 in IPVS forwarding; ${sent}`);
  }
  w.emit(ns, 'forward', skb, { changed: w.edit(skb, i, { ttl: ttl - 1 }), explanation: `ip_vs_nat_xmit forwards to the real server: the TTL is decremented ${ttl} → ${ttl - 1} (decrement_ttl) and the packet re-enters netfilter at LOCAL_OUT (the OUTPUT chain) before POSTROUTING.` });
  const ov = hook(w, ns, skb, 'OUTPUT', undefined, m.route.dev);
  applyVerdict(w, ns, skb, ov, 'OUTPUT', false);
  postRouting(w, ns, skb, m.route.dev, m.route.via, false, false);
  return true;
}

/** ip_vs_out: a real server's reply advances the IPVS connection's state and the out counters. */
export function ipvsOut(w: PacketWalk, ipvs: IpvsTable, conn: Connection, skb: Skb): void {
  const o = conn.orig;
  const vc = ipvs.connFor(o.proto.toUpperCase(), o.src, o.sport, o.dst, o.dport);
  if (!vc) return;
  const l4 = l4Of(skb.packet);
  ipvs.transition(vc, 'out', l4?.type === 'tcp' ? l4.flags : {}, Math.floor(w.world.timeUs / 1e6));
  const svc = ipvs.find(vc.proto, vc.vaddr, vc.vport)?.service;
  const dest = svc?.dests.find((d) => d.addr === vc.daddr && d.port === vc.dport);
  const len = ipLength(skb.packet);
  for (const st of [svc?.stats, dest?.stats]) {
    if (!st) continue;
    st.outpkts++;
    st.outbytes += len;
  }
}
