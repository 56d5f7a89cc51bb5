import { cidrContains, ipToInt, parseCidr, prefixContains, type Cidr, type Ipv4 } from '../../net/addr.ts';
import type { Route } from '../../linux/fib.ts';
import type { NetNs } from '../../linux/netns.ts';
import type { NodeSpec } from '../spec.ts';
import type { CalicoIpam } from './ipam.ts';

/** One BGP session of the node-to-node mesh, as `birdcl show protocols` lists it (`Mesh_192_168_205_3`). */
export interface BgpPeer {
  readonly name: string;
  readonly ip: Ipv4;
  readonly state: 'up' | 'start';
  readonly info: 'Established' | 'Active';
  /** when the session last changed state (simulated µs): BIRD's `since` column */
  readonly sinceUs: number;
}

/** The node's own BGP address: projectcalico.org/IPv4Address, else its InternalIP with its network's mask. */
export function bgpAddress(node: NodeSpec, networkCidr: Cidr | undefined): Cidr {
  return node.calicoIPv4Address ?? (`${node.internalIP}/${networkCidr?.split('/')[1] ?? '32'}` as Cidr);
}

/**
 * BIRD on one node, as calico-node's confd writes its config (v3.31 templates, mesh/ipip-*):
 * `protocol static` blackholes the node's own blocks; a `Mesh_<ip>` iBGP session to every other
 * node (multihop, `gateway recursive`) learns their blocks and borrowed /32s with the peer as
 * next hop; `protocol kernel … export filter calico_kernel_programming` installs them with
 * `krt_tunnel = "tunl0"` for IPIP pools (CrossSubnet: only when the next hop is outside this
 * node's subnet), which Calico's BIRD turns into `via <peer> dev tunl0 onlink`. A next hop that
 * is not on a directly connected network resolves recursively through the kernel's own routes,
 * so without IPIP a block behind a router is sent to that router.
 */
export function birdUp(ns: NetNs, self: NodeSpec, nodes: readonly NodeSpec[], ipam: CalicoIpam, selfCidr: Cidr, nic: string, nowUs: number): BgpPeer[] {
  for (const b of ipam.blocks.filter((x) => x.node === self.name)) {
    ns.fib.add({ dst: parseCidr(b.cidr), dev: 'lo', proto: 'bird', scope: 'global', type: 'blackhole' });
  }
  const peers: BgpPeer[] = [];
  for (const peer of nodes) {
    if (peer.name === self.name || peer.deleted) continue;
    // the TCP session to port 179 comes up when the peer is reachable through the kernel's table
    const reach = ns.fib.lookup(peer.internalIP, (d) => ns.dev(d)?.up === true);
    const up = reach !== undefined && reach.route.type === 'unicast';
    peers.push({ name: `Mesh_${peer.internalIP.replaceAll('.', '_')}`, ip: peer.internalIP, state: up ? 'up' : 'start', info: up ? 'Established' : 'Active', sinceUs: nowUs });
    if (!up) continue;
    const exported: { cidr: Cidr; pool: CalicoIpam['pools'][number] }[] = [
      ...ipam.blocks.filter((b) => b.node === peer.name),
      ...(ipam.borrowed.get(peer.name) ?? []).flatMap((ip) => {
        const pool = ipam.pools.find((p) => cidrContains(p.cidr, ip));
        return pool ? [{ cidr: `${ip}/32` as Cidr, pool }] : [];
      }),
    ];
    for (const e of exported) {
      const tunnel = e.pool.ipipMode === 'Always' || (e.pool.ipipMode === 'CrossSubnet' && !cidrContains(selfCidr, peer.internalIP));
      ns.fib.add(tunnel ? tunnelRoute(e.cidr, peer.internalIP) : recursiveRoute(ns, e.cidr, peer.internalIP, reach.route, nic));
    }
  }
  return peers;
}

function tunnelRoute(dst: Cidr, nexthop: Ipv4): Route {
  return { dst: parseCidr(dst), via: nexthop, dev: 'tunl0', proto: 'bird', scope: 'global', onlink: true, type: 'unicast' };
}

/** `gateway recursive`: a next hop on a connected network is the gateway; otherwise the gateway of the route to it. */
function recursiveRoute(ns: NetNs, dst: Cidr, nexthop: Ipv4, toPeer: Route, nic: string): Route {
  const direct = ns.fib.routes.some((r) => r.type === 'unicast' && !r.via && r.scope === 'link' && prefixContains(r.dst, ipToInt(nexthop)));
  return { dst: parseCidr(dst), via: direct ? nexthop : (toPeer.via ?? nexthop), dev: direct ? nic : toPeer.dev, proto: 'bird', scope: 'global', type: 'unicast' };
}
