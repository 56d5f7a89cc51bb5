import { intToIp, ipToInt, parseCidr, prefixContains, type Ipv4, type Prefix } from '../net/addr.ts';
import { frameLength } from '../net/encode.ts';
import { IPPROTO_ICMP, type Ipv4Layer, type Packet } from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import type { UserProcess } from '../linux/process.ts';
import type { World } from '../linux/world.ts';
import type { Lease } from './flannel.ts';
import type { FlannelConfig, NodeSpec } from './spec.ts';

/** pkg/backend/udp: encapOverhead = 28 (20 bytes IP header + 8 bytes UDP header). */
export const UDP_ENCAP_OVERHEAD = 28;

/** One entry of flanneld's user-space route table (proxy_amd64.c struct route_entry). */
interface ProxyRoute {
  readonly dst: Prefix;
  readonly nextHop: Ipv4;
  readonly port: number;
}

/**
 * flanneld with `Backend.Type: udp` on one node (pkg/backend/udp): it opens a TUN device
 * `flannel%d` (IFF_TUN|IFF_NO_PI, so flannel0), gives it the lease's network address as a /32
 * ("so that no broadcast routes are created"), MTU = NIC − 28, brings it up and routes the whole
 * flannel network to it (`RouteAdd` with SCOPE_UNIVERSE). It listens on UDP 8285 on the external
 * interface, and its C proxy keeps one route per remote lease: subnet → public IP:port.
 */
export function flannelUdpUp(world: World, ns: NetNs, self: NodeSpec, leases: readonly Lease[], cfg: FlannelConfig): void {
  const nic = ns.dev(self.nic)!;
  const own = leases.find((l) => l.node === self.name)!;
  const tunIp = own.subnet.split('/')[0] as Ipv4;
  const dev = world.addTun(ns, 'flannel0', 'flanneld', nic.mtu - UDP_ENCAP_OVERHEAD);
  ns.addAddress(dev, { addr: tunIp, prefixLen: 32 });
  dev.up = true;
  ns.invalidateAddrs();
  ns.fib.add({ dst: parseCidr(cfg.network), dev: dev.name, proto: 'boot', scope: 'global', type: 'unicast' });
  ns.listeners.push({ proto: 'udp', port: cfg.port, process: 'flanneld' });
  // processSubnetEvents: setRoute per EventAdded lease (the own lease is not watched)
  const routes = leases.filter((l) => l.node !== self.name).map((l) => ({ dst: parseCidr(l.subnet), nextHop: l.publicIP, port: cfg.port }));
  // newNetwork: net.ListenUDP on the external interface's address; run_proxy's buffer is the TUN MTU
  ns.processes.set('flanneld', flanneldUdpProxy(tunIp, cfg.port, routes, { bind: self.internalIP, mtu: dev.mtu }));
}

/**
 * run_proxy (pkg/backend/udp/proxy_amd64.c), the loop between flannel0 and the UDP socket.
 * tun_to_udp: find_route by the inner destination — none: send_net_unreachable writes an ICMP
 * net unreachable (TTL 8, from the TUN address) back into flannel0, except about ICMP (the
 * kernel then refuses it: its source is one of the node's own addresses, a martian); then
 * decrement_ttl (a packet reaching 0 is discarded: "TODO: send back ICMP Time Exceeded") and
 * sendto the next hop. udp_to_tun: decrement_ttl, then write into flannel0. Both directions
 * decrement the TTL, so a packet crossing it loses two more than the routers on its way.
 */
export function flanneldUdpProxy(tunIp: Ipv4, port: number, routes: readonly ProxyRoute[], socket: { readonly bind: Ipv4; readonly mtu: number }): UserProcess {
  const decrementTtl = (io: Parameters<NonNullable<UserProcess['tunRead']>>[0], p: Packet): Packet => {
    const ip = p[0] as Ipv4Layer;
    if (ip.ttl - 1 === 0) {
      io.discard('TTL_EXPIRED', `decrement_ttl: "Discarding IP fragment ${ip.src} -> ${ip.dst} due to zero TTL" — flanneld drops it without an ICMP time exceeded (its code has a TODO for that), so traceroute sees no answer at this hop`);
    }
    // decrement_ttl patches the header checksum by hand (RFC 1624); the model recomputes it on encode
    return io.edit(0, { ttl: ip.ttl - 1 }, `flanneld decrements the TTL itself, ${ip.ttl} → ${ip.ttl - 1}, as a router would — a hop the kernel's routing table knows nothing about.`);
  };
  return {
    name: 'flanneld',
    peers: () => routes.map((r) => r.nextHop),
    tunUdpProxy: () => ({ tun: 'flannel0', tunIp, mtu: socket.mtu, bind: socket.bind, port, routes }),
    tunRead(io, dev, packet) {
      const ip = packet[0] as Ipv4Layer;
      const dst = ipToInt(ip.dst);
      const route = routes.find((r) => prefixContains(r.dst, dst));
      if (!route) {
        if (ip.proto !== IPPROTO_ICMP) io.tunInject(dev, netUnreachable(tunIp, packet), 'icmp-error');
        return io.discard(
          'FLANNELD_NO_ROUTE',
          `find_route: no lease covers ${ip.dst} (${routes.length ? `it knows ${routes.map((r) => `${intToIp(r.dst.net)}/${r.dst.len}`).join(', ')}` : 'it knows no other node'}), so the packet has nowhere to go${ip.proto !== IPPROTO_ICMP ? `; send_net_unreachable writes an ICMP net unreachable from ${tunIp} back into ${dev.name}` : ' (and it sends no ICMP error about an ICMP packet)'}`,
        );
      }
      io.step(`flanneld read ${frameLength(packet)} bytes from ${dev.name}. find_route: ${ip.dst} is in ${intToIp(route.dst.net)}/${route.dst.len}, the lease of the node at ${route.nextHop} — send it to ${route.nextHop}:${route.port}.`, `${route.nextHop}:${route.port}`);
      const out = decrementTtl(io, packet);
      io.sendto(port, route.nextHop, route.port, out, `flanneld sendto()s the whole IP packet as the payload of a UDP datagram to ${route.nextHop}:${route.port}; it re-enters the kernel as a new packet through ip_local_out: 28 bytes more on the wire (IPv4 20 + UDP 8).`);
    },
    udpRecv(io, from, payload) {
      const tun = io.ns.dev('flannel0');
      if (tun?.kind !== 'tun' || payload[0]?.type !== 'ipv4') return io.discard('FLANNELD_BAD_PACKET', `the datagram from ${from.ip} does not hold an IP packet`);
      const inner = decrementTtl(io, payload);
      io.tunWrite(tun, inner, `flanneld write()s the inner packet into ${tun.name}: back in the kernel, as if ${tun.name} had received it — the second copy between user space and the kernel on this path.`);
    },
  };
}

/** send_net_unreachable: a hand-made ICMP destination unreachable (net) from the TUN address, TTL 8, quoting the offender. */
function netUnreachable(tunIp: Ipv4, offender: Packet): Packet {
  const ip = offender[0] as Ipv4Layer;
  return [{ type: 'ipv4', src: tunIp, dst: ip.src, ttl: 8, proto: IPPROTO_ICMP, id: 0, df: false, dsfield: 0 }, { type: 'icmp', icmp_type: 3, code: 0 }, ...offender];
}
