import { addedFields, ipIndex } from '../../net/edit.ts';
import { VXLAN_OVERHEAD } from '../../net/encode.ts';
import { IPPROTO_UDP, type EthernetLayer, type Layer, type Packet, type UdpLayer } from '../../net/packet.ts';
import type { VxlanDevice } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { tupleOf } from './conntrack.ts';
import { devRx } from './dev.ts';
import { localOut } from './output.ts';
import type { Skb } from './skb.ts';
import { type PacketWalk, DEFAULT_TTL } from './walk.ts';

// VXLAN (drivers/net/vxlan/vxlan_core.c): vxlan_xmit encapsulates by the FDB, vxlan_rcv strips and receives.

/** vxlan_xmit: FDB lookup by inner destination MAC → remote VTEP; UDP encapsulation; ip_local_out. */
export function vxlanXmit(w: PacketWalk, ns: NetNs, dev: VxlanDevice, skb: Skb): void {
  const inner = skb.packet;
  const dstMac = (inner[0] as EthernetLayer).dst;
  let row = dev.fdb.findIndex((e) => e.mac === dstMac);
  if (row < 0) row = dev.fdb.findIndex((e) => e.mac === '00:00:00:00:00:00');
  const entry = dev.fdb[row];
  if (!entry) {
    w.emit(ns, 'fdb', skb, { dev: dev.name, ref: { table: 'fdb' }, verdict: 'no entry', explanation: `${dev.name}'s FDB has no entry for ${dstMac} and no default destination.` });
    return w.drop(ns, skb, 'VXLAN_NO_REMOTE', `vxlan_xmit: no FDB entry for ${dstMac} on ${dev.name}, so there is no remote VTEP to send to`, dev.name);
  }
  w.emit(ns, 'fdb', skb, {
    dev: dev.name,
    ref: { table: 'fdb', row },
    verdict: `dst ${entry.dst}`,
    explanation: `FDB of ${dev.name}: ${dstMac} → dst ${entry.dst}. The inner frame goes as a UDP payload to port ${dev.dstport} on ${entry.dst}.`,
  });
  const sport = udpFlowSrcPort(w.world.hashSeed, inner);
  const outer: Layer[] = [
    { type: 'ipv4', src: dev.local, dst: entry.dst, ttl: DEFAULT_TTL, proto: IPPROTO_UDP, id: w.world.rng.int(0, 0xffff), df: false, dsfield: 0 },
    { type: 'udp', srcport: sport, dstport: dev.dstport },
    { type: 'vxlan', flags: 0x08, vni: dev.vni },
  ];
  // a new outer IPv4 header on the same skb: the mark travels with it (iptunnel_xmit keeps it in-namespace)
  // each inner fragment becomes its own outer datagram, 50 bytes bigger
  const outerSkb: Skb = { id: skb.id, packet: [...outer, ...inner], mark: skb.mark, hops: skb.hops, ...(skb.fragMtu !== undefined ? { carriesFragments: skb.fragMtu + VXLAN_OVERHEAD } : {}) };
  w.emit(ns, 'encap', outerSkb, {
    dev: dev.name,
    changed: addedFields(outerSkb.packet, 0, 3),
    explanation: `${dev.name} encapsulates: outer IPv4 ${dev.local} → ${entry.dst}, UDP ${sport} → ${dev.dstport}, VXLAN VNI ${dev.vni}. The inner Ethernet frame, unchanged, becomes the UDP payload: ${VXLAN_OVERHEAD} bytes more on the wire once the outer Ethernet header is added.`,
  });
  localOut(w, ns, outerSkb, false);
}

/** vxlan_rcv: the UDP socket on the VXLAN port strips the outer headers and hands the frame to the device with that VNI. */
export function vxlanRcv(w: PacketWalk, ns: NetNs, skb: Skb): boolean {
  const i = ipIndex(skb.packet);
  const udp = skb.packet[i + 1] as UdpLayer;
  const vx = skb.packet[i + 2];
  const dev = [...ns.devices.values()].find((d): d is VxlanDevice => d.kind === 'vxlan' && d.dstport === udp.dstport);
  if (!dev) return false;
  if (!vx || vx.type !== 'vxlan') return w.drop(ns, skb, 'VXLAN_INVALID_HDR', 'UDP to the VXLAN port without a VXLAN header');
  if (vx.vni !== dev.vni || !dev.up) {
    return w.drop(ns, skb, 'VXLAN_VNI_NOT_FOUND', `no VXLAN device for VNI ${vx.vni} on port ${udp.dstport}`);
  }
  const inner = skb.packet.slice(i + 3);
  const innerSkb: Skb = { id: skb.id, packet: inner, mark: 0, hops: skb.hops, ...(skb.carriesFragments !== undefined ? { fragMtu: skb.carriesFragments - VXLAN_OVERHEAD } : {}) };
  w.emit(ns, 'decap', innerSkb, {
    dev: dev.name,
    changed: [],
    explanation: `UDP port ${udp.dstport} belongs to the VXLAN socket; VNI ${vx.vni} selects ${dev.name}, which strips the outer Ethernet, IPv4, UDP and VXLAN headers and receives the inner frame as if it came in on ${dev.name}.`,
  });
  devRx(w, ns, dev, innerSkb);
  return true;
}

/**
 * udp_flow_src_port (include/net/udp.h): the inner packet's flow hash scaled into the local port
 * range, so one inner flow always uses one outer source port. A TCP segment carries its
 * socket's own hash (sk_txhash, random per socket), so each direction of a connection has its
 * port; anything else is hashed by the flow dissector, which orders the two ends first
 * (flow_hash_consistentify), so an echo and its reply share one — as a real kernel showed. The
 * hash seed is per boot.
 */
export function udpFlowSrcPort(seed: number, inner: Packet): number {
  const t = tupleOf(inner);
  const ends = t && t.proto !== 'tcp' ? [`${t.src}:${t.sport}`, `${t.dst}:${t.dport}`].sort() : undefined;
  const text = t ? (ends ? `${t.proto}${ends[0]}${ends[1]}` : `${t.proto}${t.src}${t.dst}${t.sport}${t.dport}`) : (inner[0] as EthernetLayer).src + (inner[0] as EthernetLayer).dst;
  let hash = seed >>> 0;
  for (let k = 0; k < text.length; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193) >>> 0;
  hash = (hash ^ (hash << 16)) >>> 0;
  const min = 32768;
  const max = 60999;
  return Math.floor((hash * (max - min)) / 2 ** 32) + min;
}
