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
  /**
   * The datagram travels as fragments of at most this many bytes (ip_fragment ran for a smaller
   * MTU). The model walks the datagram once; each fragment takes the same path.
   */
  fragMtu?: number;
  /**
   * A tunnel's outer packet that stands for several: each fragment of the inner datagram went
   * into an outer datagram of its own, the largest this big. They are never reassembled; the
   * far end decapsulates each and has the inner fragments again.
   */
  carriesFragments?: number;
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
