import type { Connection, CtDirection } from '../conntrack.ts';
import { ipOf } from '../../net/edit.ts';
import type { Ipv4Layer, Packet } from '../../net/packet.ts';

/** What the kernel knows about a packet besides its bytes (the sk_buff's metadata). */
export interface Skb {
  readonly id: number;
  packet: Packet;
  mark: number;
  conn?: Connection;
  dir?: CtDirection;
  related?: boolean;
  /** conntrack found the packet INVALID for its connection's state (or refused to track it) */
  invalid?: boolean;
  /** br_netfilter already ran PREROUTING at the bridge port (ip_sabotage_in skips it in ip_rcv) */
  brnfDone?: boolean;
  physIn?: string;
  inDev?: string;
  hops: number;
}

/** skb_scrub_packet: crossing into another namespace forgets conntrack, mark and bridge state. */
export function scrub(skb: Skb): void {
  skb.conn = undefined;
  skb.dir = undefined;
  skb.related = false;
  skb.invalid = false;
  skb.brnfDone = false;
  skb.physIn = undefined;
  skb.inDev = undefined;
  skb.mark = 0;
}

export function ip(skb: Skb): Ipv4Layer {
  return ipOf(skb.packet)!;
}
