/**
 * nf_tables as the kernel holds it (net/netfilter/nf_tables_api.c): per network namespace a list
 * of tables, each with its chains, sets and maps; a chain is a list of rules and a rule is a list
 * of expressions. The same structure is built by the `nft` parser and printed back by the `nft
 * list` printer, and the packet path evaluates it, so every output comes from what runs.
 */

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress';
export type NftChainType = 'filter' | 'nat' | 'route';

/** The datatypes a set key, a map's data or a constant can have (nft's `type` names). */
export type NftType =
  | 'ipv4_addr'
  | 'ipv6_addr'
  | 'inet_proto'
  | 'inet_service'
  | 'mark'
  | 'ifname'
  | 'integer'
  | 'ct_state'
  | 'fib_addrtype'
  | 'verdict';

/**
 * A constant of some datatype: numbers hold `lo…hi` (a single value has lo = hi; a prefix also
 * keeps its length so it prints as `10.0.0.0/8`), string types (ifname, ipv6_addr) hold
 * `s`; enumerations (fib_addrtype, ct_state bits) are numbers.
 */
export interface NftConst {
  readonly lo: number;
  readonly hi: number;
  readonly len?: number;
  readonly s?: string;
}

export type NftVerdict =
  | { readonly k: 'accept' | 'drop' | 'continue' | 'return' }
  | { readonly k: 'jump' | 'goto'; readonly chain: string };

/** What a selector reads from the packet or its metadata (the expressions that load a register). */
export type NftSelector =
  | { readonly k: 'payload'; readonly proto: 'ip' | 'ip6' | 'tcp' | 'udp' | 'sctp' | 'th' | 'icmp'; readonly field: 'saddr' | 'daddr' | 'protocol' | 'sport' | 'dport' | 'type' }
  | { readonly k: 'meta'; readonly key: 'l4proto' | 'mark' | 'iifname' | 'oifname' | 'nfproto' }
  | { readonly k: 'ct'; readonly key: 'state' }
  | { readonly k: 'fib'; readonly addr: 'saddr' | 'daddr' }
  | { readonly k: 'numgen'; readonly mode: 'random' | 'inc'; readonly mod: number; readonly offset: number }
  | { readonly k: 'concat'; readonly parts: readonly NftSelector[] }
  | { readonly k: 'binop'; readonly op: '&' | '|' | '^'; readonly left: NftSelector; readonly right: NftConst };

/** The right-hand side of a match: a constant, a named set (`@name`) or an anonymous set. */
export type NftRhs =
  | { readonly k: 'const'; readonly value: NftConst }
  | { readonly k: 'set'; readonly name: string }
  | { readonly k: 'anon'; readonly elems: readonly NftConst[] };

export type NftOp = 'implicit' | '==' | '!=' | '<' | '>' | '<=' | '>=';

export type NftStmt =
  | { readonly k: 'match'; readonly left: NftSelector; readonly op: NftOp; readonly right: NftRhs }
  | { readonly k: 'verdict'; readonly v: NftVerdict }
  /** `KEY vmap @map` or `KEY vmap { k : verdict, … }` (the anonymous map is named `__map%d`) */
  | { readonly k: 'vmap'; readonly key: NftSelector; readonly map: string }
  /** a rule's counter: mutable, as the kernel's per-cpu counter is */
  | { readonly k: 'counter'; packets: number; bytes: number }
  | { readonly k: 'reject'; readonly with?: { readonly family: 'icmp' | 'icmpx' | 'tcp'; readonly type: string } }
  /** `meta mark set VALUE` or `meta mark set meta mark OP VALUE` */
  | { readonly k: 'mark-set'; readonly value: NftSelector | NftConst }
  | { readonly k: 'nat'; readonly type: 'dnat' | 'snat'; readonly addr?: NftConst; readonly port?: number; readonly flags: readonly string[] }
  | { readonly k: 'masquerade'; readonly flags: readonly string[] }
  /** `update @set { KEY }` / `add @set { KEY }`: dynamic sets that rules fill (session affinity) */
  | { readonly k: 'set-update'; readonly op: 'add' | 'update'; readonly set: string; readonly key: NftSelector };

export interface NftRule {
  readonly handle: number;
  readonly stmts: readonly NftStmt[];
  readonly comment?: string;
}

export interface NftChain {
  readonly name: string;
  readonly handle: number;
  /** base chains only: what hooks them into netfilter */
  readonly base?: { readonly type: NftChainType; readonly hook: NftHook; readonly priority: number; policy: 'accept' | 'drop' };
  comment?: string;
  rules: NftRule[];
  /** base chains: when the hook was registered (ties in priority run the newer one first) */
  readonly registered: number;
  /** scratch for the loop check at commit (which walk saw this chain last, and how far) */
  walk?: number;
}

export interface NftElement {
  /** one constant per component of the (concatenated) key */
  readonly key: readonly NftConst[];
  readonly data?: NftVerdict;
  readonly comment?: string;
  /** a per-element timeout different from the set's, ms */
  readonly timeoutMs?: number;
  /** dynamic sets with timeouts: when the element expires, simulated µs */
  expiresUs?: number;
}

export interface NftSet {
  readonly name: string;
  readonly handle: number;
  /** one type per component of a concatenated key (`ipv4_addr . inet_proto . inet_service`) */
  readonly keyType: readonly NftType[];
  /** maps: the data type (`verdict` for a vmap) */
  readonly dataType?: NftType;
  readonly flags: readonly string[];
  readonly timeoutMs?: number;
  readonly size?: number;
  readonly comment?: string;
  /** anonymous sets (`{ a, b }` in a rule) are owned by their rule and never listed */
  readonly anonymous: boolean;
  /**
   * elements by their canonical key (see elementKey): a lookup of an exact key is one Map access,
   * O(1) as the kernel's hash set; interval sets are scanned (nft_set_rbtree / pipapo)
   */
  readonly elements: Map<string, NftElement>;
}

export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly handle: number;
  comment?: string;
  readonly chains: Map<string, NftChain>;
  readonly sets: Map<string, NftSet>;
  /** the table's handle generator (nf_tables_alloc_handle): chains, sets and rules share it */
  nextHandle: number;
}
