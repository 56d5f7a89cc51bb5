import { ipToInt, parseCidr, prefixContains, type Ipv4, type Mac } from '../net/addr.ts';
import type { VxlanFdbEntry } from '../linux/devices.ts';
import type { Route } from '../linux/fib.ts';
import type { Neighbour } from '../linux/neigh.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import type { FlannelBackend } from '../api-types.ts';
import { flannelUdpUp, UDP_ENCAP_OVERHEAD } from './flannel-udp.ts';
import type { FlannelConfig, NodeSpec } from './spec.ts';

/** flannel's pkg/backend/vxlan: encapOverhead = 50 (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_ENCAP_OVERHEAD = 50;

/** What one node's lease says: its subnet, public IP and (vxlan) VTEP MAC. */
export interface Lease {
  readonly node: string;
  readonly subnet: string;
  readonly publicIP: Ipv4;
  readonly vtepMac: Mac;
}

/** FLANNEL_MTU in subnet.env: the NIC's MTU minus the backend's overhead. */
export function flannelMtu(backend: FlannelBackend, nicMtu: number): number {
  if (backend === 'udp') return nicMtu - UDP_ENCAP_OVERHEAD;
  return backend === 'vxlan' ? nicMtu - VXLAN_ENCAP_OVERHEAD : nicMtu;
}

/**
 * flanneld on one node. vxlan (pkg/backend/vxlan): the device `flannel.<VNI>` with dstport,
 * local = the node's public IP, learning off, MTU = NIC MTU − 50, address = the subnet's
 * network address /32 ("so that no broadcast routes are created"); then per remote lease, in
 * this order, a permanent neighbour, a permanent FDB entry and the onlink route.
 * host-gw (pkg/backend/hostgw): per remote lease, `<subnet> via <publicIP> dev <nic>`.
 * udp (pkg/backend/udp): the TUN device flannel0 and flanneld's user-space proxy (flannel-udp.ts).
 */
/**
 * The route, neighbour and FDB entry every other node programs for one lease are the same
 * objects on every node (they are never changed in place, only replaced or removed): a
 * 1,000-node cluster holds a million of each, so each is made once per lease, not per node.
 */
interface LeaseEntries {
  readonly route: Route;
  readonly neigh?: Neighbour;
  readonly fdb?: VxlanFdbEntry;
}
const entriesOf = new WeakMap<Lease, Map<string, LeaseEntries>>();

function leaseEntries(l: Lease, dev: string, make: () => LeaseEntries): LeaseEntries {
  let byDev = entriesOf.get(l);
  if (!byDev) entriesOf.set(l, (byDev = new Map()));
  let e = byDev.get(dev);
  if (!e) byDev.set(dev, (e = make()));
  return e;
}

export function flannelUp(world: World, ns: NetNs, self: NodeSpec, leases: readonly Lease[], cfg: FlannelConfig, backend: FlannelBackend): string[] {
  const nic = ns.dev(self.nic)!;
  const own = leases.find((l) => l.node === self.name)!;
  const remotes = leases.filter((l) => l.node !== self.name);
  const log: string[] = [];
  if (backend === 'udp') {
    flannelUdpUp(world, ns, self, leases, cfg);
    return log;
  }
  if (backend === 'host-gw') {
    const connected = ns.fib.routes.filter((r) => r.dev === nic.name && !r.via);
    for (const l of remotes) {
      // the kernel refuses a gateway that is not on-link ("Nexthop has invalid gateway"); flanneld
      // logs the error and carries on, so that subnet stays without a route
      const onLink = connected.some((r) => prefixContains(r.dst, ipToInt(l.publicIP)));
      if (!onLink) {
        log.push(`flanneld on ${self.name}: failed to add route ${l.subnet} via ${l.publicIP} dev ${nic.name}: network is unreachable — host-gw needs every node on one L2 segment (${l.node} is not)`);
        continue;
      }
      ns.fib.add(leaseEntries(l, nic.name, () => ({ route: { dst: parseCidr(l.subnet), via: l.publicIP, dev: nic.name, proto: 'boot', scope: 'global', type: 'unicast' } })).route);
    }
    return log;
  }
  const name = `flannel.${cfg.vni}`;
  const dev = world.addVxlan(ns, { name, vni: cfg.vni, dstport: cfg.port, local: self.internalIP, lowerDev: nic.name, mtu: nic.mtu - VXLAN_ENCAP_OVERHEAD, mac: own.vtepMac });
  ns.addAddress(dev, { addr: own.subnet.split('/')[0] as Ipv4, prefixLen: 32 });
  for (const l of remotes) {
    const e = leaseEntries(l, name, () => {
      const vtep = l.subnet.split('/')[0] as Ipv4;
      return {
        neigh: { ip: vtep, dev: name, lladdr: l.vtepMac, state: 'PERMANENT' },
        fdb: { mac: l.vtepMac, dst: l.publicIP, permanent: true },
        // "the kernel would ARP for the Gw IP address if it hadn't already been set above"
        route: { dst: parseCidr(l.subnet), via: vtep, dev: name, proto: 'boot', scope: 'global', onlink: true, type: 'unicast' },
      };
    });
    ns.neigh.set(e.neigh!);
    dev.fdb.push(e.fdb!);
    ns.fib.add(e.route);
  }
  return log;
}
