import type { Ipv4 } from '../../net/addr.ts';
import { addedFields, ipIndex } from '../../net/edit.ts';
import { IPV4_HEADER_LEN } from '../../net/encode.ts';
import { IPPROTO_IPIP, type Ipv4Layer } from '../../net/packet.ts';
import type { IpipDevice } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { devRx } from './dev.ts';
import { icmpError } from './icmp.ts';
import { localOut } from './output.ts';
import { type Skb, ip } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// IP-in-IP (net/ipv4/ipip.c, ip_tunnel.c): ipip_tunnel_xmit → ip_tunnel_xmit adds the outer
// header and sends it with ip_local_out; ipip_rcv finds the tunnel and receives the inner packet.

/**
 * ip_tunnel_xmit for an L3 packet routed to an ipip device. The outer destination is the
 * tunnel's remote, or for an NBMA tunnel like tunl0 (remote any) the gateway of the route that
 * sent the packet here (`rt_nexthop(rt, inner_iph->daddr)`); the source is the tunnel's local or,
 * when that is any, what routing to the destination picks. TTL 0 inherits the inner TTL; DF is the
 * tunnel's (nopmtudisc: none) or'ed with the inner packet's; the TOS is the tunnel's (0) with the
 * inner ECN bits (ip_tunnel_ecn_encap). skb_scrub_packet keeps the mark, drops conntrack.
 */
export function ipipXmit(w: PacketWalk, ns: NetNs, dev: IpipDevice, skb: Skb, nexthop: Ipv4): void {
  const inner = ip(skb);
  const dst = dev.remote ?? nexthop;
  const rt = w.lookup(ns, dst);
  if (rt && rt.route.dev === dev.name && !ns.isLocal(dst)) {
    // "rt->dst.dev == dev": the way to the remote end leads back into the tunnel
    return w.drop(ns, skb, 'TUNNEL_COLLISION', `ip_tunnel_xmit: the route to the tunnel's far end ${dst} goes through ${dev.name} itself (counted as collisions)`, dev.name);
  }
  const outer: Ipv4Layer = {
    type: 'ipv4',
    src: dev.local ?? ('0.0.0.0' as Ipv4),
    dst,
    ttl: dev.ttl || inner.ttl,
    proto: IPPROTO_IPIP,
    id: w.world.rng.int(0, 0xffff),
    df: dev.pmtudisc || inner.df,
    dsfield: inner.dsfield & 0x03,
  };
  const outerSkb: Skb = { id: skb.id, packet: [outer, ...skb.packet.slice(ipIndex(skb.packet))], mark: skb.mark, hops: skb.hops };
  w.emit(ns, 'encap', outerSkb, {
    dev: dev.name,
    changed: addedFields(outerSkb.packet, 0, 1),
    explanation:
      `${dev.name} wraps the packet in a new IPv4 header, protocol 4 (IPIP): to ${dst}${dev.remote ? ' (the tunnel\'s remote)' : ', the gateway of the route that chose this device (the tunnel has no fixed remote)'}, ` +
      `TTL ${outer.ttl}${dev.ttl ? '' : ' copied from the inner packet (ttl inherit)'}, ${outer.df ? 'DF copied from the inner packet' : 'no DF'}; ` +
      `the source is left to routing. ${IPV4_HEADER_LEN} bytes more on the wire; the inner packet is unchanged.`,
  });
  localOut(w, ns, outerSkb, false);
}

/**
 * ipip_rcv (the protocol-4 handler, via tunnel4): ip_tunnel_lookup matches a tunnel by outer
 * addresses, else the fallback device when it is up; the outer header is pulled and the inner
 * packet received on the tunnel device (gro_cells_receive → netif_receive_skb). With no tunnel,
 * tunnel4_rcv answers port unreachable; without the module at all the protocol is unreachable.
 */
export function ipipRcv(w: PacketWalk, ns: NetNs, skb: Skb): void {
  const outer = ip(skb);
  const tunnels = [...ns.devices.values()].filter((d): d is IpipDevice => d.kind === 'ipip');
  if (tunnels.length === 0) {
    const sent = icmpError(w, ns, skb, 3, 2, false);
    return w.drop(ns, skb, 'NO_PROTOCOL_HANDLER', `no handler for IP protocol 4 here (the ipip module is not loaded); ${sent}`);
  }
  const exact = tunnels.find((t) => t.up && !t.fallback && (t.remote === undefined || t.remote === outer.src) && (t.local === undefined || t.local === outer.dst));
  const dev = exact ?? tunnels.find((t) => t.fallback && t.up);
  if (!dev) {
    const sent = icmpError(w, ns, skb, 3, 3, false);
    return w.drop(ns, skb, 'NO_TUNNEL', `no IPIP tunnel accepts ${outer.src} → ${outer.dst} (tunl0 is down); tunnel4_rcv: ${sent}`);
  }
  const innerSkb: Skb = { id: skb.id, packet: skb.packet.slice(ipIndex(skb.packet) + 1), mark: skb.mark, hops: skb.hops };
  w.emit(ns, 'decap', innerSkb, {
    dev: dev.name,
    changed: [],
    explanation: `IP protocol 4 goes to the IPIP handler; ${dev.fallback ? `${dev.name}, the fallback tunnel, takes packets from any remote` : `${dev.name} matches ${outer.src} → ${outer.dst}`}. It pulls the ${IPV4_HEADER_LEN}-byte outer header and receives the inner packet as if it arrived on ${dev.name}.`,
  });
  devRx(w, ns, dev, innerSkb);
}
