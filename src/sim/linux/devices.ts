import type { Ipv4, Mac } from '../net/addr.ts';
import type { NetNs } from './netns.ts';

/** An address on a device, as `ip addr` shows it (`inet 10.42.0.1/24 brd … scope global cni0`). */
export interface IfAddr {
  readonly addr: Ipv4;
  readonly prefixLen: number;
  readonly brd?: Ipv4;
  readonly scope: 'global' | 'link' | 'host';
  /** `dynamic` for DHCP leases */
  readonly dynamic?: boolean;
  readonly metric?: number;
}

/**
 * A device's counters as `ip -s link` prints them (struct rtnl_link_stats64): frames and bytes
 * each way, and the drops — a veth counts a frame its peer would not take (is_skb_forwardable)
 * as its own tx drop and the peer's rx drop.
 */
export interface DeviceStats {
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
}

export function newStats(): DeviceStats {
  return { rxPackets: 0, rxBytes: 0, rxDropped: 0, txPackets: 0, txBytes: 0, txDropped: 0 };
}

interface DeviceCommon {
  readonly name: string;
  readonly ifindex: number;
  netns: NetNs;
  mac: Mac;
  mtu: number;
  up: boolean;
  readonly addrs: IfAddr[];
  /** the bridge this device is enslaved to */
  master?: BridgeDevice;
  /** what went through it (made on first use) */
  stats?: DeviceStats;
  /** bridge port flag set by the CNI bridge plugin (hairpinMode) */
  hairpin?: boolean;
  /**
   * created but never set up (kube-ipvs0): `ip link` shows it DOWN, yet its addresses are in the
   * local table — the kernel adds local routes on address add and removes them only when a
   * device goes down (fib_disable_ip), which this one never did
   */
  neverUp?: boolean;
  /**
   * net.ipv4.conf.DEV.proxy_arp: answer ARP requests for addresses this host routes through
   * another device with this device's own MAC (arp_fwd_proxy) — Calico's host-side veths
   */
  proxyArp?: boolean;
}

export interface LoopbackDevice extends DeviceCommon {
  readonly kind: 'loopback';
}

export interface VethDevice extends DeviceCommon {
  readonly kind: 'veth';
  peer?: VethDevice;
}

/** A learned or static entry of a Linux bridge's forwarding database. */
export interface BridgeFdbEntry {
  readonly mac: Mac;
  /** the port (device name) behind which the MAC lives */
  readonly port: string;
  /** `permanent` entries are the ports' and bridge's own addresses */
  readonly permanent: boolean;
  /** a local entry: frames to this MAC go up to the bridge's own stack */
  readonly local: boolean;
  /** when a frame taught it (simulated µs); absent: there from the start */
  readonly createdUs?: number;
}

export interface BridgeDevice extends DeviceCommon {
  readonly kind: 'bridge';
  readonly ports: string[];
  readonly fdb: BridgeFdbEntry[];
  /**
   * BROPT_MTU_SET_BY_USER: once `ip link set <bridge> mtu N` ran, the kernel stops following
   * the smallest port MTU (br_mtu_auto_adjust) when ports change theirs.
   */
  mtuSetByUser?: boolean;
}

/** A VXLAN FDB entry (`bridge fdb … dev flannel.1 dst 192.168.205.3 self permanent`). */
export interface VxlanFdbEntry {
  readonly mac: Mac;
  readonly dst: Ipv4;
  readonly permanent: boolean;
}

export interface VxlanDevice extends DeviceCommon {
  readonly kind: 'vxlan';
  readonly vni: number;
  readonly dstport: number;
  /** the local VTEP address (`local`), the outer source */
  readonly local: Ipv4;
  /** the underlying device (`dev enp0s1`) */
  readonly lowerDev: string;
  readonly learning: boolean;
  readonly fdb: VxlanFdbEntry[];
}

/** A physical NIC, plugged into an L2 segment (the LAN). */
export interface NicDevice extends DeviceCommon {
  readonly kind: 'nic';
  segment?: string;
}

/** A dummy device: holds addresses, discards what is sent to it (kube-ipvs0). */
export interface DummyDevice extends DeviceCommon {
  readonly kind: 'dummy';
}

/**
 * An IP-in-IP tunnel (net/ipv4/ipip.c, ip_tunnel.c): an L3 device (ARPHRD_TUNNEL, IFF_NOARP)
 * whose xmit puts a 20-byte IPv4 header (protocol 4) in front of the packet. `tunl0` is the
 * fallback device the module creates in every namespace (ip_tunnel_init_net): every parameter
 * zero — protocol any, local any, remote any, ttl inherit, no DF (nopmtudisc) — so it takes any
 * IPIP packet in and sends to whatever the route's gateway is (an NBMA tunnel).
 */
export interface IpipDevice extends DeviceCommon {
  readonly kind: 'ipip';
  /** parms.iph.saddr: the outer source; absent (0.0.0.0, "any"): the route to the remote picks it */
  readonly local?: Ipv4;
  /** parms.iph.daddr: absent ("any"): rt_nexthop of the inner packet's route */
  readonly remote?: Ipv4;
  /** parms.iph.ttl: 0 inherits the inner packet's TTL */
  readonly ttl: number;
  /** parms.iph.frag_off has IP_DF */
  readonly pmtudisc: boolean;
  /** the per-namespace fallback device (tunl0), which `ip link` names `tunl0@NONE` */
  readonly fallback: boolean;
}

/**
 * A TUN device (drivers/net/tun.c, IFF_TUN | IFF_NO_PI): an L3 device whose transmitted packets
 * are read by the user-space process holding its file descriptor, and whose received packets
 * are what that process writes. Without a reader the device has no carrier.
 */
export interface TunDevice extends DeviceCommon {
  readonly kind: 'tun';
  /** the process (NetNs.processes) that has /dev/net/tun open on this device */
  owner?: string;
  /** TUNSETPERSIST: survives its process (ip tuntap add); flanneld's does not */
  readonly persist: boolean;
}

export type Device = LoopbackDevice | VethDevice | BridgeDevice | VxlanDevice | NicDevice | DummyDevice | IpipDevice | TunDevice;
export type DeviceKind = Device['kind'];
