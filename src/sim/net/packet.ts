import type { Ipv4, Mac } from './addr.ts';

/**
 * A packet is its headers, outermost first, exactly as they would sit on the wire. Fields are
 * named as Wireshark names them (`ip.src` → `src`, `udp.dstport` → `dstport`, `vxlan.vni` → `vni`)
 * so that JSON output, the inspector and a pcap dissection read the same. Lengths and checksums
 * are not stored: `encode` computes them from the layers, so they can never disagree.
 *
 * Packets are immutable values: every step of a trace keeps its own snapshot by sharing the
 * layers it did not change.
 */
export type Layer =
  | EthernetLayer
  | ArpLayer
  | Ipv4Layer
  | IcmpLayer
  | UdpLayer
  | TcpLayer
  | VxlanLayer
  | DataLayer;

export type LayerType = Layer['type'];
export type Packet = readonly Layer[];

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

export const IPPROTO_ICMP = 1;
/** IP-in-IP (RFC 2003), `ipencap` in /etc/protocols */
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface EthernetLayer {
  readonly type: 'ethernet';
  readonly src: Mac;
  readonly dst: Mac;
  readonly ethertype: number;
}

export interface ArpLayer {
  readonly type: 'arp';
  /** 1 request, 2 reply */
  readonly opcode: 1 | 2;
  readonly src_hw_mac: Mac;
  readonly src_proto_ipv4: Ipv4;
  readonly dst_hw_mac: Mac;
  readonly dst_proto_ipv4: Ipv4;
}

export interface Ipv4Layer {
  readonly type: 'ipv4';
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly ttl: number;
  /** IPPROTO_* */
  readonly proto: number;
  readonly id: number;
  /** the Don't Fragment flag */
  readonly df: boolean;
  readonly dsfield: number;
}

export interface IcmpLayer {
  readonly type: 'icmp';
  /** ICMP type (Wireshark `icmp.type`; `type` names the layer here) */
  readonly icmp_type: number;
  readonly code: number;
  /** echo request/reply identifier and sequence */
  readonly ident?: number;
  readonly seq?: number;
  /** next-hop MTU for "fragmentation needed" (type 3 code 4) */
  readonly mtu?: number;
}

export interface UdpLayer {
  readonly type: 'udp';
  readonly srcport: number;
  readonly dstport: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export type TcpOption =
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'sack_perm' }
  | { readonly kind: 'timestamp'; readonly tsval: number; readonly tsecr: number }
  | { readonly kind: 'nop' }
  | { readonly kind: 'wscale'; readonly value: number }
  | { readonly kind: 'eol' };

export interface TcpLayer {
  readonly type: 'tcp';
  readonly srcport: number;
  readonly dstport: number;
  readonly seq: number;
  readonly ack: number;
  /** TCP_* bits, as Wireshark's `tcp.flags` */
  readonly flags: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
}

export interface VxlanLayer {
  readonly type: 'vxlan';
  /** 0x08: the I flag, "VNI is valid" (RFC 7348) */
  readonly flags: number;
  readonly vni: number;
}

/** Application payload: only its length and a label matter to the network. */
export interface DataLayer {
  readonly type: 'data';
  readonly length: number;
  readonly text?: string;
}

/** A changed header field at one step, e.g. `{ layer: 1, field: 'dst' }` for a DNAT. */
export interface FieldChange {
  readonly layer: number;
  readonly field: string;
  readonly from?: string | number | boolean;
  readonly to?: string | number | boolean;
}
