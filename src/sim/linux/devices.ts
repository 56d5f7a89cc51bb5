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
  /** bridge port flag set by the CNI bridge plugin (hairpinMode) */
  hairpin?: boolean;
  /**
   * created but never set up (kube-ipvs0): `ip link` shows it DOWN, yet its addresses are in the
   * local table — the kernel adds local routes on address add and removes them only when a
   * device goes down (fib_disable_ip), which this one never did
   */
  neverUp?: boolean;
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

export type Device = LoopbackDevice | VethDevice | BridgeDevice | VxlanDevice | NicDevice | DummyDevice;
export type DeviceKind = Device['kind'];
