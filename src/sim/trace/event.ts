import type { FieldChange, Packet } from '../net/packet.ts';
import type { ConnState } from '../linux/conntrack.ts';
import type { StatisticDraw } from '../linux/netfilter/engine.ts';
import type { HookName, TableName } from '../linux/netfilter/types.ts';

export type { StatisticDraw };

/**
 * One step of a packet through the kernel model. Events are produced by the packet path as it
 * runs — never listed per scenario — and each carries the packet as it is after the step.
 */
export type EventKind =
  /** a packet is created by a socket (or the kernel, for ICMP errors) */
  | 'send'
  /** a device receives or transmits a frame */
  | 'rx'
  | 'tx'
  /** a veth hands the frame to its peer */
  | 'veth'
  /** a bridge forwards (or floods) a frame using its FDB */
  | 'bridge'
  /** a frame crosses an L2 segment (the LAN) */
  | 'wire'
  /** netfilter: one rule visited in one chain of one table at one hook */
  | 'rule'
  /** netfilter: the policy of a built-in chain decided */
  | 'policy'
  /** a lookup in a kernel table */
  | 'route'
  | 'neigh'
  | 'arp'
  | 'fdb'
  | 'conntrack'
  | 'ipvs'
  /** NAT rewrote the packet (DNAT/SNAT/MASQUERADE, or conntrack's reverse NAT) */
  | 'nat'
  /** TTL decremented by ip_forward */
  | 'forward'
  /** a header is put around the packet (VXLAN, IPIP, a UDP datagram from a tunnel program) or taken off */
  | 'encap'
  | 'decap'
  /** a user-space program holds the packet (a TUN device's reader, a UDP socket's owner) */
  | 'user'
  /** ip_fragment split a datagram for a smaller MTU, or ip_defrag / nf_defrag put it back together */
  | 'fragment'
  /** handed to a local socket */
  | 'deliver'
  | 'drop';

/** Where the step happened, for highlighting: which table row the kernel consulted. */
export interface TableRef {
  readonly table: 'route' | 'neigh' | 'fdb' | 'bridge-fdb' | 'conntrack' | 'ipvs' | 'iptables' | 'nftables';
  /** for iptables: `nat`, `filter`, … */
  readonly nfTable?: TableName;
  /** for nftables: the family and table, `ip kube-proxy` */
  readonly nftTable?: string;
  /** for nftables: the rule's handle (`nft -a` prints it) */
  readonly handle?: number;
  /** for nftables: the set or map element a lookup found, as `nft list` prints it */
  readonly element?: string;
  readonly chain?: string;
  /** 0-based row in the table as the CLI prints it (rule index for iptables) */
  readonly row?: number;
  /** iptables: rows fromRow…row-1 of the chain were evaluated and did not match */
  readonly fromRow?: number;
  /** the row as the real command prints it */
  readonly text?: string;
}

export interface TraceEvent {
  readonly seq: number;
  /** which packet of the flow this step belongs to: 0 the request, then replies and errors */
  readonly packetId: number;
  readonly host: string;
  /** netns name: `root` for a host's own namespace, else the pod/container name */
  readonly netns: string;
  readonly kind: EventKind;
  /** the device involved, if any */
  readonly dev?: string;
  readonly hook?: HookName;
  readonly ref?: TableRef;
  /** rule verdict or lookup result in words: `ACCEPT`, `jump KUBE-SVC-…`, `no match`, … */
  readonly verdict?: string;
  /** for drops: the kernel's reason (`SKB_DROP_REASON_*` style, then words) */
  readonly reason?: string;
  readonly packet: Packet;
  readonly changed: readonly FieldChange[];
  readonly explanation: string;
  /** true when this step put the frame on a wire (for pcap export) */
  readonly onWire?: boolean;
  /** simulated time of the step, microseconds (pcap timestamps) */
  readonly timeUs: number;
  /**
   * the packet's conntrack entry as it stands after the step (on conntrack and NAT steps); an
   * unconfirmed entry is not in the table yet — `conntrack -L` shows it once the packet has
   * passed the last hook
   */
  readonly conn?: CtEntry;
  /** every `-m statistic --mode random` draw made at this rule visit (the rows tried before it, and its own) */
  readonly draws?: readonly StatisticDraw[];
  /** why a load balancer chose this endpoint, in words (IPVS's scheduler: rr position, lc counts, sh bucket) */
  readonly decision?: string;
  /**
   * the step belongs to the connection's close (the FIN segments and their ACKs): the path level
   * folds each such packet into its last step, so the close reads as one step per segment
   */
  readonly phase?: 'close';
}

export interface CtEntry extends ConnState {
  readonly id: number;
  readonly confirmed: boolean;
}



export type Verdict = 'delivered' | 'dropped';

export interface PacketOutcome {
  readonly packetId: number;
  /** what the packet was: `request`, `reply`, `icmp-error`, `arp` */
  readonly role: string;
  readonly verdict: Verdict;
  readonly reason?: string;
  /** where it ended */
  readonly host: string;
  readonly netns: string;
  /** netfilter rules evaluated for this packet on every host it crossed, matched or not */
  readonly rulesEvaluated: number;
  /** the same, per host */
  readonly rulesEvaluatedByHost: Readonly<Record<string, number>>;
}

export interface Trace {
  readonly events: readonly TraceEvent[];
  /** the verdict of the first packet (the request) */
  readonly verdict: Verdict;
  readonly reason?: string;
  readonly packets: readonly PacketOutcome[];
}
