import { BROADCAST_MAC } from '../../net/addr.ts';
import { frameLength } from '../../net/encode.ts';
import type { EthernetLayer, FieldChange } from '../../net/packet.ts';
import { newStats, type Device } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { bridgeInput, bridgeForward } from './bridge.ts';
import { nsLabel } from './describe.ts';
import { ipRcv } from './input.ts';
import { type Skb, scrub } from './skb.ts';
import { tunXmit } from './tun.ts';
import { vxlanXmit } from './vxlan.ts';
import { type PacketWalk, MAX_HOPS } from './walk.ts';

// Devices (net/core/dev.c): dev_queue_xmit per device kind, the wire of an L2 segment, netif_receive_skb.

/** Counts a frame through a device: `ip -s link`'s packets and bytes. */
export function count(dev: Device, dir: 'rx' | 'tx', skb: Skb): void {
  const s = (dev.stats ??= newStats());
  const len = frameLength(skb.packet);
  if (dir === 'rx') {
    s.rxPackets++;
    s.rxBytes += len;
  } else {
    s.txPackets++;
    s.txBytes += len;
  }
}

export function devXmit(w: PacketWalk, ns: NetNs, dev: Device, skb: Skb, changed: readonly FieldChange[] = []): void {
  if (++skb.hops > MAX_HOPS) w.drop(ns, skb, 'LOOP', 'the packet crossed more than 64 devices: a forwarding loop');
  if (!dev.up) w.drop(ns, skb, 'DEV_DOWN', `${dev.name} is down`, dev.name);
  switch (dev.kind) {
    case 'veth': {
      w.emit(ns, 'tx', skb, { dev: dev.name, changed, onWire: true, explanation: `Sent on ${dev.name}; a veth hands every frame to its peer${dev.peer ? ` ${dev.peer.name} in ${nsLabel(dev.peer.netns)}` : ''}.` });
      if (!dev.peer) w.drop(ns, skb, 'NO_PEER', `${dev.name} has no peer`);
      // is_skb_forwardable: the peer takes a frame up to its MTU + Ethernet header + a VLAN tag
      const limit = dev.peer.mtu + 14 + 4;
      const len = frameLength(skb.packet);
      const size = skb.fragMtu !== undefined ? Math.min(len, skb.fragMtu + 14) : len;
      if (size > limit) {
        (dev.stats ??= newStats()).txDropped++;
        (dev.peer.stats ??= newStats()).rxDropped++;
        w.drop(ns, skb, 'VETH_MTU', `${dev.peer.name} takes frames up to its MTU ${dev.peer.mtu} + 18 bytes; this ${len}-byte frame is dropped (veth_xmit counts it in ${dev.name}'s TX dropped and ${dev.peer.name}'s RX dropped)`, dev.name);
      }
      count(dev, 'tx', skb);
      if (dev.peer.netns !== ns) scrub(skb);
      devRx(w, dev.peer.netns, dev.peer, skb);
      return;
    }
    case 'bridge':
      w.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Sent on the bridge ${dev.name}: br_dev_xmit looks the destination MAC up in the bridge FDB.` });
      count(dev, 'tx', skb);
      bridgeForward(w, ns, dev, skb, undefined);
      return;
    case 'vxlan':
      w.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Handed to the VXLAN device ${dev.name} (VNI ${dev.vni}), which will wrap the Ethernet frame in UDP.` });
      // vxlan_xmit counts the inner frame on the VXLAN device; the outer datagram counts on the NIC
      count(dev, 'tx', skb);
      vxlanXmit(w, ns, dev, skb);
      return;
    case 'nic':
      w.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Transmitted by ${dev.name} onto the wire.` });
      count(dev, 'tx', skb);
      wire(w, ns, dev.segment, skb);
      return;
    case 'dummy':
      return w.drop(ns, skb, 'DUMMY', `${dev.name} is a dummy device: it discards everything sent through it`, dev.name);
    case 'tun':
      w.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Sent on ${dev.name}, a TUN device: a bare IPv4 packet, no ARP and no Ethernet header.` });
      count(dev, 'tx', skb);
      tunXmit(w, ns, dev, skb);
      return;
    case 'ipip':
      // reached only through l3Xmit, which knows the route's next hop the tunnel sends to
      return w.drop(ns, skb, 'TUNNEL_NO_ROUTE', `${dev.name} was handed a packet without a route (ip_tunnel_xmit needs skb_dst: tx_fifo_errors)`, dev.name);
    case 'loopback':
      ipRcv(w, ns, dev, skb);
      return;
  }
}

export function wire(w: PacketWalk, ns: NetNs, segmentName: string | undefined, skb: Skb): void {
  if (!segmentName) return w.drop(ns, skb, 'NO_CARRIER', 'the NIC is not plugged into any segment');
  const seg = w.world.segment(segmentName);
  const dst = (skb.packet[0] as EthernetLayer).dst;
  const to = seg.ports.find((p) => p.ns.dev(p.dev)?.mac === dst && p.ns.dev(p.dev)?.up);
  w.emit(ns, 'wire', skb, {
    onWire: true,
    explanation: to
      ? `On the ${seg.name} segment the frame to ${dst} reaches ${to.ns.host}'s ${to.dev}.`
      : `On the ${seg.name} segment no NIC has ${dst}.`,
  });
  if (!to) w.drop(ns, skb, 'NO_L2_DEST', `no station with MAC ${dst} on ${seg.name}`);
  scrub(skb);
  devRx(w, to.ns, to.ns.dev(to.dev)!, skb);
}

/** netif_receive_skb: a bridge port hands the frame to its bridge; otherwise only frames for us go up. */
export function devRx(w: PacketWalk, ns: NetNs, dev: Device, skb: Skb): void {
  if (!dev.up) w.drop(ns, skb, 'DEV_DOWN', `${dev.name} is down`, dev.name);
  // the driver counts the frame before the stack looks at it (veth_xmit for the peer, a NIC's rx ring)
  count(dev, 'rx', skb);
  w.emit(ns, 'rx', skb, { dev: dev.name, explanation: `Received on ${dev.name} in ${nsLabel(ns)}.` });
  if (isL3Device(dev)) {
    // no link-layer header to check: the packet is an IPv4 datagram from the start
    skb.inDev = dev.name;
    ipRcv(w, ns, dev, skb);
    return;
  }
  if (dev.master) {
    bridgeInput(w, ns, dev.master, dev, skb);
    return;
  }
  const eth = skb.packet[0] as EthernetLayer;
  if (eth.dst !== dev.mac && eth.dst !== BROADCAST_MAC) {
    w.drop(ns, skb, 'OTHERHOST', `the frame is addressed to ${eth.dst}, not to ${dev.name} (${dev.mac}): PACKET_OTHERHOST`, dev.name);
  }
  skb.inDev = dev.name;
  ipRcv(w, ns, dev, skb);
}

/** Devices that carry bare IPv4 packets (IFF_NOARP, no header_ops): tunnels and TUN. */
export function isL3Device(dev: Device): boolean {
  return dev.kind === 'ipip' || dev.kind === 'tun';
}
