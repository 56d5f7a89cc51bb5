import type { Prefix } from '../../net/addr.ts';

/**
 * Netfilter rules as the kernel stores them (xt_* match/target data), not as text. The same
 * structure is produced by parsing `iptables -A …` / `iptables-restore` input and printed back
 * by the `iptables -nvL`, `-S` and `iptables-save` renderers, so every output is derived from
 * what the model evaluates.
 */
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';
export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Which built-in chains each table has, in the kernel's hook order (iptable_*.c valid_hooks). */
export const TABLE_HOOKS: Readonly<Record<TableName, readonly HookName[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * Tables at one hook, in priority order (include/uapi/linux/netfilter_ipv4.h: raw -300,
 * mangle -150, nat DNAT -100, filter 0, nat SNAT 100). nat on INPUT/POSTROUTING is the SNAT side,
 * so it comes after filter.
 */
export const HOOK_TABLES: Readonly<Record<HookName, readonly TableName[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

export interface AddrMatch {
  readonly prefix: Prefix;
  readonly neg: boolean;
}

export interface IfaceMatch {
  /** interface name; a trailing `+` is iptables' wildcard */
  readonly name: string;
  readonly neg: boolean;
}

export interface PortMatch {
  readonly from: number;
  readonly to: number;
  readonly neg: boolean;
}

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';
export type AddrType =
  | 'UNSPEC'
  | 'UNICAST'
  | 'LOCAL'
  | 'BROADCAST'
  | 'ANYCAST'
  | 'MULTICAST'
  | 'BLACKHOLE'
  | 'UNREACHABLE'
  | 'PROHIBIT';

/** `-m NAME …` matches, kept in the order they were given (iptables prints them in that order). */
export type Match =
  | { readonly m: 'comment'; readonly comment: string }
  | { readonly m: 'tcp' | 'udp' | 'sctp'; readonly sport?: PortMatch; readonly dport?: PortMatch }
  | { readonly m: 'icmp'; readonly icmpType?: number }
  | {
      readonly m: 'statistic';
      readonly mode: 'random';
      /** as the kernel stores it: lround(0x80000000 * p) (libxt_statistic.c) */
      readonly probability: number;
      /** `! --probability p`: XT_STATISTIC_INVERT, matches when the random draw does not */
      readonly neg?: boolean;
    }
  | { readonly m: 'mark'; readonly mark: number; readonly mask: number; readonly neg: boolean }
  | {
      readonly m: 'addrtype';
      readonly srcType?: AddrType;
      readonly srcNeg?: boolean;
      readonly dstType?: AddrType;
      readonly dstNeg?: boolean;
      /** `--limit-iface-out`: the type is judged on the outgoing device only (XT_ADDRTYPE_LIMIT_IFACE_OUT) */
      readonly limitIfaceOut?: boolean;
    }
  | { readonly m: 'conntrack'; readonly ctstate: readonly CtState[]; readonly neg: boolean }
  | {
      readonly m: 'set';
      readonly name: string;
      /** per dimension of the set: `src` or `dst` (e.g. `dst,dst` for hash:ip,port) */
      readonly flags: readonly ('src' | 'dst')[];
      readonly neg: boolean;
    }
  | {
      readonly m: 'recent';
      readonly name: string;
      readonly mode: 'set' | 'rcheck' | 'update';
      readonly seconds?: number;
      readonly reap?: boolean;
      readonly rsource: boolean;
    }
  | { readonly m: 'physdev'; readonly physdevIsIn?: boolean; readonly neg?: boolean }
  /** `-m multiport --dports|--sports a,b:c` (xt_multiport rev 1, up to 15 ports; a range counts two) */
  | { readonly m: 'multiport'; readonly dir: 'dports' | 'sports'; readonly ports: readonly { readonly from: number; readonly to: number }[]; readonly neg: boolean };

export type Target =
  | { readonly t: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly t: 'REJECT'; readonly rejectWith: string }
  | { readonly t: 'jump'; readonly chain: string; readonly goto?: boolean }
  | {
      /** MARK --set-xmark value/mask: mark = (mark & ~mask) ^ value (libxt_MARK.c rev 2) */
      readonly t: 'MARK';
      readonly value: number;
      readonly mask: number;
    }
  | {
      readonly t: 'DNAT' | 'SNAT';
      readonly toAddr: string;
      readonly toPort?: number;
      readonly random?: boolean;
    }
  | { readonly t: 'MASQUERADE'; readonly randomFully?: boolean; readonly toPorts?: string }
  /** a rule with no target only counts (kube-proxy's last KUBE-FW rule) */
  | { readonly t: 'none' };

export interface Counters {
  pkts: number;
  bytes: number;
}

export interface Rule {
  readonly src?: AddrMatch;
  readonly dst?: AddrMatch;
  /** `-p tcp|udp|icmp|sctp|ipencap` (ipencap is IP-in-IP, protocol 4); absent means all */
  readonly proto?: { readonly name: 'tcp' | 'udp' | 'icmp' | 'sctp' | 'ipencap'; readonly neg: boolean };
  readonly inIface?: IfaceMatch;
  readonly outIface?: IfaceMatch;
  readonly matches: readonly Match[];
  readonly target: Target;
  /** mutable: the kernel counts every packet that matched this rule */
  readonly counters: Counters;
}

export interface Chain {
  readonly name: string;
  /** built-in chains have a policy; user chains have none */
  policy?: 'ACCEPT' | 'DROP';
  readonly policyCounters: Counters;
  rules: Rule[];
}

export type Table = Map<string, Chain>;

export type Tables = Record<TableName, Table>;
