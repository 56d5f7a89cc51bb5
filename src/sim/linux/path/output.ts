import type { Ipv4 } from '../../net/addr.ts';
import { addedFields, ipIndex, ipOf } from '../../net/edit.ts';
import { ipLength } from '../../net/encode.ts';
import { ETHERTYPE_IPV4, type EthernetLayer, type FieldChange } from '../../net/packet.ts';
import type { Device } from '../devices.ts';
import type { RouteMatch } from '../fib.ts';
import type { NetNs } from '../netns.ts';
import { arpResolve } from './arp.ts';
import { conntrackIn, confirm } from './conntrack.ts';
import { intToDotted } from './describe.ts';
import { devXmit, isL3Device } from './dev.ts';
import { icmpError } from './icmp.ts';
import { ipRcv } from './input.ts';
import { ipipXmit } from './ipip.ts';
import { hook, applyVerdict } from './netfilter.ts';
import type { Skb } from './skb.ts';
import { type PacketWalk, MAX_HOPS } from './walk.ts';

// The output path (net/ipv4/ip_output.c, route.c): ip_local_out → OUTPUT → routing → POSTROUTING → the neighbour layer.

/** ip_local_out for a packet a socket (or the kernel) in `ns` originates. */
export function localOut(w: PacketWalk, ns: NetNs, skb: Skb, isError: boolean): void {
  let ip = ipOf(skb.packet)!;
  let rt = routeOutput(w, ns, skb, ip.dst, true);
  // ip_append_data refuses a DF datagram bigger than the path MTU at sendmsg, before any hook
  const out = rt.local ? undefined : ns.dev(rt.route.dev);
  if (out && ipOf(skb.packet)!.df) {
    // a datagram carrying one fragment of a larger packet (a TUN reader's, one per fragment) is that big
    const len = Math.min(ipLength(skb.packet), skb.carriesFragments ?? Infinity);
    const mtu = ns.pathMtu(ip.dst, out.mtu, w.world.timeUs);
    if (len > mtu) w.drop(ns, skb, 'EMSGSIZE', `Message too long: ${len} bytes with DF set exceed ${mtu < out.mtu ? `the path MTU ${mtu} learned for ${ip.dst}` : `${out.name}'s MTU ${out.mtu}`}`, out.name);
  }
  conntrackIn(w, ns, skb, 'OUTPUT');
  const v = hook(w, ns, skb, 'OUTPUT', undefined, rt.route.dev);
  applyVerdict(w, ns, skb, v, 'OUTPUT', isError);
  ip = ipOf(skb.packet)!;
  if (ip.dst !== rt.dstChecked) rt = routeOutput(w, ns, skb, ip.dst); // ip_route_me_harder after DNAT
  if (rt.local) {
    postRouting(w, ns, skb, 'lo', undefined, true, isError);
    return;
  }
  postRouting(w, ns, skb, rt.route.dev, rt.route.via, true, isError);
}

/**
 * ip_route_output: the route for `dst`; for a socket that has not bound a source address
 * (`pickSrc`), the lookup also chooses it (fib_result_prefsrc / inet_select_addr), so the
 * route step is where the packet gets its source.
 */
export function routeOutput(w: PacketWalk, ns: NetNs, skb: Skb, dst: Ipv4, pickSrc = false): { route: { dev: string; via?: Ipv4; src?: Ipv4 }; local: boolean; dstChecked: Ipv4 } {
  const setSrc = (route: { dev: string; via?: Ipv4; src?: Ipv4 }): FieldChange[] => {
    if (!pickSrc || ipOf(skb.packet)!.src !== '0.0.0.0') return [];
    const src = route.src ?? ns.selectSrc(route.dev, route.via ?? dst);
    if (!src) w.drop(ns, skb, 'EADDRNOTAVAIL', `no address to send from on ${route.dev}`);
    return w.edit(skb, ipIndex(skb.packet), { src });
  };
  if (ns.isLocal(dst)) {
    const changed = setSrc({ dev: 'lo', src: dst });
    w.emit(ns, 'route', skb, {
      changed,
      ref: { table: 'route', text: `local ${dst} dev ${ns.deviceWithAddr(dst)?.name ?? 'lo'} table local proto kernel scope host src ${dst}` },
      verdict: 'local',
      explanation: `${dst} is one of this namespace's own addresses (table local), so the packet loops back through lo.`,
    });
    return { route: { dev: 'lo', src: dst }, local: true, dstChecked: dst };
  }
  const m = w.lookup(ns, dst);
  if (!m) unreachable(w, ns, skb, dst);
  emitRoute(w, ns, skb, dst, m, m.route.type === 'unicast' ? setSrc(m.route) : []);
  if (m.route.type !== 'unicast') {
    // fib_props[type].error: ip_route_output_key fails and the socket gets the error
    const errno = { blackhole: 'EINVAL', unreachable: 'EHOSTUNREACH', prohibit: 'EACCES' }[m.route.type];
    w.drop(ns, skb, errno, `the route to ${dst} is a ${m.route.type} route: the sending socket gets ${errno}`);
  }
  return { route: m.route, local: false, dstChecked: dst };
}

export function unreachable(w: PacketWalk, ns: NetNs, skb: Skb, dst: Ipv4): never {
  w.emit(ns, 'route', skb, { ref: { table: 'route' }, verdict: 'no route', explanation: `No route in the main table matches ${dst}.` });
  return w.drop(ns, skb, 'ENETUNREACH', `Network is unreachable: no route to ${dst}`);
}

export function emitRoute(w: PacketWalk, ns: NetNs, skb: Skb, dst: Ipv4, m: RouteMatch, changed: readonly FieldChange[] = []): void {
  const r = m.route;
  const prefix = r.dst.len === 0 ? 'default' : `${intToDotted(r.dst.net)}/${r.dst.len}`;
  if (r.type !== 'unicast') {
    w.emit(ns, 'route', skb, {
      ref: { table: 'route', row: m.row },
      verdict: r.type,
      explanation: `Routing table lookup for ${dst}: the longest matching prefix is ${prefix}, a ${r.type} route — it has no next hop and no device.`,
    });
    return;
  }
  const how = r.via ? `via ${r.via} dev ${r.dev}${r.onlink ? ' onlink' : ''}` : `dev ${r.dev} (directly connected)`;
  const src = changed.find((c) => c.field === 'src');
  w.emit(ns, 'route', skb, {
    dev: r.dev,
    changed,
    ref: { table: 'route', row: m.row },
    verdict: how,
    explanation: `Routing table lookup for ${dst}: the longest matching prefix is ${prefix}, so the next hop is ${r.via ?? dst} ${how}.${src ? ` The socket has no source address yet: the route gives it ${String(src.to)}.` : ''}`,
  });
}

/** POSTROUTING, then fragmentation check, then the neighbour layer (ip_output → ip_finish_output2). */
export function postRouting(w: PacketWalk, ns: NetNs, skb: Skb, outDev: string, via: Ipv4 | undefined, local: boolean, isError: boolean): void {
  const v = hook(w, ns, skb, 'POSTROUTING', skb.inDev, outDev);
  applyVerdict(w, ns, skb, v, 'POSTROUTING', isError);
  confirm(w, ns, skb);
  const dev = ns.dev(outDev);
  if (!dev) return w.drop(ns, skb, 'ENODEV', `device ${outDev} does not exist`);
  if (dev.kind === 'loopback') {
    w.emit(ns, 'tx', skb, { dev: 'lo', explanation: 'Looped back through lo to this namespace.' });
    ipRcv(w, ns, dev, skb);
    return;
  }
  const len = ipLength(skb.packet);
  const ip = ipOf(skb.packet)!;
  // a socket's own packet must also fit the path MTU the kernel learned for its destination
  const mtu = local ? ns.pathMtu(ip.dst, dev.mtu, w.world.timeUs) : dev.mtu;
  // the largest datagram this skb stands for on the wire
  const size = Math.min(len, skb.fragMtu ?? len, skb.carriesFragments ?? len);
  if (size > mtu && !ip.df) fragment(w, ns, skb, outDev, mtu, len);
  else if (size > mtu) {
    if (ip.df) {
      if (local) return w.drop(ns, skb, 'EMSGSIZE', `Message too long: ${len} bytes with DF set exceed ${mtu < dev.mtu ? `the path MTU ${mtu} learned for ${ip.dst}` : `${outDev}'s MTU ${dev.mtu}`}`, outDev);
      const sent = icmpError(w, ns, skb, 3, 4, isError, dev.mtu);
      return w.drop(ns, skb, 'FRAG_NEEDED', `${len} bytes with DF set exceed ${outDev}'s MTU ${dev.mtu}; ${sent} (mtu ${dev.mtu})`, outDev);
    }
  }
  const nexthop = via ?? ip.dst;
  if (isL3Device(dev)) return l3Xmit(w, ns, skb, dev, nexthop);
  neighOutput(w, ns, skb, dev, nexthop, isError, local);
}

/**
 * A device with no link layer (IFF_NOARP, no header_ops): no neighbour to resolve and no
 * Ethernet header to write; the bare IPv4 packet goes to the device, and a tunnel learns the
 * route's next hop (skb_dst) to send it to.
 */
function l3Xmit(w: PacketWalk, ns: NetNs, skb: Skb, dev: Device, nexthop: Ipv4): void {
  const i = ipIndex(skb.packet);
  if (i > 0) skb.packet = skb.packet.slice(i);
  if (dev.kind === 'ipip') {
    if (++skb.hops > MAX_HOPS) w.drop(ns, skb, 'LOOP', 'the packet crossed more than 64 devices: a forwarding loop');
    w.emit(ns, 'tx', skb, { dev: dev.name, explanation: `Handed to ${dev.name}, an IPIP tunnel device: no ARP (NOARP) and no Ethernet header; the tunnel sends it on to ${nexthop}, the route's gateway.` });
    ipipXmit(w, ns, dev, skb, nexthop);
    return;
  }
  devXmit(w, ns, dev, skb);
}

/**
 * ip_fragment: a datagram without DF that is bigger than the MTU leaves as fragments, each with
 * the same IP ID, offsets in 8-byte units and MF on all but the last; the receiver (or a node's
 * nf_defrag) puts them back together.
 */
function fragment(w: PacketWalk, ns: NetNs, skb: Skb, dev: string, mtu: number, len: number): void {
  const perFragment = Math.floor((mtu - 20) / 8) * 8;
  const count = Math.ceil((len - 20) / perFragment);
  skb.fragMtu = mtu;
  w.emit(ns, 'fragment', skb, {
    dev,
    verdict: `${count} fragments`,
    explanation: `${len} bytes without DF exceed ${dev}'s MTU ${mtu}: ip_fragment sends ${count} fragments carrying ${perFragment} bytes of payload each (the last the rest), all with IP ID ${ipOf(skb.packet)!.id}.`,
  });
}

/** ip_defrag / nf_defrag_ipv4: the fragments are one datagram again (at local delivery, or before conntrack). */
export function reassemble(w: PacketWalk, ns: NetNs, skb: Skb, where: string): void {
  if (skb.fragMtu === undefined) return;
  skb.fragMtu = undefined;
  w.emit(ns, 'fragment', skb, { verdict: 'reassembled', explanation: `${where} reassembles the fragments into the ${ipLength(skb.packet)}-byte datagram.` });
}

/** neigh_output: find the next hop's MAC (resolving it with ARP if needed), write the Ethernet header. */
export function neighOutput(w: PacketWalk, ns: NetNs, skb: Skb, dev: Device, nexthop: Ipv4, isError: boolean, local: boolean): void {
  let found = ns.neigh.get(dev.name, nexthop);
  if (found && found.entry.state === 'FAILED') found = undefined;
  if (!found) {
    const mac = arpResolve(w, ns, skb, dev, nexthop);
    if (!mac) {
      const sent = local ? 'the sending socket gets EHOSTUNREACH' : icmpError(w, ns, skb, 3, 1, isError);
      return w.drop(ns, skb, 'NEIGH_FAILED', `No ARP reply for ${nexthop} on ${dev.name}: the neighbour stays unresolved (FAILED); ${sent}`, dev.name);
    }
    found = ns.neigh.get(dev.name, nexthop)!;
  } else {
    const n = found.entry;
    w.emit(ns, 'neigh', skb, {
      dev: dev.name,
      ref: { table: 'neigh', row: found.row },
      verdict: n.lladdr ?? 'incomplete',
      explanation: `Neighbour table: ${nexthop} on ${dev.name} is at ${n.lladdr} (${n.state}).`,
    });
  }
  const eth: EthernetLayer = { type: 'ethernet', src: dev.mac, dst: found.entry.lladdr!, ethertype: ETHERTYPE_IPV4 };
  const before = skb.packet;
  const hasEth = before[0]?.type === 'ethernet';
  skb.packet = hasEth ? [eth, ...before.slice(1)] : [eth, ...before];
  const changed: FieldChange[] = hasEth
    ? [
        ...(before[0] as EthernetLayer).src !== eth.src ? [{ layer: 0, field: 'src', from: (before[0] as EthernetLayer).src, to: eth.src }] : [],
        ...(before[0] as EthernetLayer).dst !== eth.dst ? [{ layer: 0, field: 'dst', from: (before[0] as EthernetLayer).dst, to: eth.dst }] : [],
      ]
    : addedFields(skb.packet, 0, 1);
  devXmit(w, ns, dev, skb, changed);
}
