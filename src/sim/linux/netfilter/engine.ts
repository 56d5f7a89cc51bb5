import { ipToInt, parseCidr, prefixContains, type Ipv4 } from '../../net/addr.ts';
import type { Rng } from '../../rng.ts';
import type { NetNs } from '../netns.ts';
import { HOOK_TABLES, type AddrType, type Chain, type CtState, type HookName, type Match, type Rule, type TableName } from './types.ts';

/** What a rule sees of a packet at a hook (the xt_action_param and the skb fields it reads). */
export interface NfPacket {
  readonly src: string;
  readonly dst: string;
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'ipencap' | 'other';
  readonly sport: number;
  readonly dport: number;
  readonly icmpType?: number;
  /** the IP datagram length: what counters add */
  readonly length: number;
  readonly inDev?: string;
  readonly outDev?: string;
  /** set when the packet crosses a bridge port (br_netfilter): `-m physdev --physdev-is-in` */
  readonly physIn?: string;
  readonly ctState: readonly CtState[];
  mark: number;
}

export type NatAction =
  | { readonly kind: 'DNAT' | 'SNAT'; readonly addr: string; readonly port?: number; readonly random?: boolean }
  /** `--random-fully` (NF_NAT_RANGE_PROTO_RANDOM_FULLY): the source port is drawn afresh */
  | { readonly kind: 'MASQUERADE'; readonly randomFully?: boolean };

export interface RuleVisit {
  readonly table: TableName;
  readonly chain: string;
  /** 0-based index of the rule in its chain; -1 for a policy decision */
  readonly row: number;
  readonly rule?: Rule;
  /** what happened: `ACCEPT`, `DROP`, `jump KUBE-SVC-…`, `MARK or 0x4000`, `DNAT to:…`, `policy ACCEPT` */
  readonly verdict: string;
  readonly markBefore: number;
  /**
   * the first row tried in this pass over the chain: rows fromRow…row-1 were evaluated and did
   * not match (for a policy decision: every row from fromRow on)
   */
  readonly fromRow: number;
  /** the `statistic` draws made in this chain since the previous visit, this rule's included */
  readonly draws?: readonly StatisticDraw[];
}

/**
 * One xt_statistic random draw: `(get_random_u32() & 0x7FFFFFFF) < probability`, as fractions
 * of 2^31 (`drew 0.73 ≥ 0.5 → next rule`).
 */
export interface StatisticDraw {
  readonly chain: string;
  /** the rule's 0-based row in its chain */
  readonly row: number;
  /** the random value drawn, as a fraction in [0, 1) */
  readonly value: number;
  /** the rule's --probability */
  readonly probability: number;
  /** whether the match held (value < probability, inverted by `!`) */
  readonly matched: boolean;
}

/** Where the walk is, for matches that record what they saw (statistic's draws). */
interface WalkSpot {
  chain: string;
  row: number;
  draws: StatisticDraw[];
}

export type HookVerdict =
  | { readonly kind: 'accept'; readonly nat?: NatAction }
  | { readonly kind: 'drop'; readonly table: TableName; readonly chain: string }
  | { readonly kind: 'reject'; readonly with: string; readonly table: TableName; readonly chain: string };

export interface HookOptions {
  readonly hook: HookName;
  /** only these of the hook's tables (a module may sit between two of them, as IPVS does at INPUT) */
  readonly tables?: readonly TableName[];
  /** consult the nat table (only a connection's first packet does: nf_nat_inet_fn) */
  readonly nat: boolean;
  readonly rng: Rng;
  readonly nowSec: number;
  readonly visit: (v: RuleVisit) => void;
  /** counts every rule evaluated, matched or not (what a packet costs in a long chain) */
  readonly stats?: { evaluated: number };
}

/** Per-namespace `-m recent` lists (xt_recent), keyed by list name then source address. */
const recentLists = new WeakMap<NetNs, Map<string, Map<string, number>>>();

/**
 * Runs every table registered at a hook, in priority order, over one packet (nf_hook_slow →
 * ipt_do_table). Matched rules count the packet; the walk follows jumps, gotos and RETURNs with
 * a stack exactly as ipt_do_table does, and a built-in chain that runs out applies its policy.
 */
export function runHook(ns: NetNs, pkt: NfPacket, opts: HookOptions): HookVerdict {
  let nat: NatAction | undefined;
  // the addresses as numbers once per packet, not once per rule: they do not change during the
  // walk, and kube-proxy's KUBE-SERVICES tests `-d` in each of its thousands of rules
  const addrs: PacketAddrs = { src: ipToInt(pkt.src), dst: ipToInt(pkt.dst) };
  for (const table of HOOK_TABLES[opts.hook]) {
    if (opts.tables && !opts.tables.includes(table)) continue;
    if (table === 'nat' && !opts.nat) continue;
    const chain = ns.nf[table].get(opts.hook);
    if (!chain) continue;
    const r = runTable(ns, table, chain, pkt, addrs, opts);
    if (r.kind === 'drop' || r.kind === 'reject') return r;
    if (r.nat) nat = r.nat;
  }
  return { kind: 'accept', nat };
}

/** The packet's source and destination as uint32, as `-s`/`-d` compare them. */
interface PacketAddrs {
  readonly src: number;
  readonly dst: number;
}

function runTable(ns: NetNs, table: TableName, base: Chain, pkt: NfPacket, addrs: PacketAddrs, opts: HookOptions): HookVerdict {
  const stack: { chain: Chain; next: number }[] = [];
  let chain = base;
  let i = 0;
  let from = 0;
  const spot: WalkSpot = { chain: '', row: 0, draws: [] };
  const takeDraws = (): { draws?: readonly StatisticDraw[] } => {
    if (spot.draws.length === 0) return {};
    const draws = spot.draws;
    spot.draws = [];
    return { draws };
  };
  for (;;) {
    if (i >= chain.rules.length) {
      const back = stack.pop();
      if (back) {
        // a user chain ran out: an implicit RETURN (ipt_do_table pops the jump stack)
        opts.visit({ table, chain: chain.name, row: -1, verdict: 'end of chain', markBefore: pkt.mark, fromRow: from, ...takeDraws() });
        chain = back.chain;
        i = from = back.next;
        continue;
      }
      const policy = base.policy ?? 'ACCEPT';
      base.policyCounters.pkts++;
      base.policyCounters.bytes += pkt.length;
      if (base.rules.length > 0 || policy !== 'ACCEPT') {
        opts.visit({ table, chain: base.name, row: -1, verdict: `policy ${policy}`, markBefore: pkt.mark, fromRow: from, ...takeDraws() });
      }
      return policy === 'DROP' ? { kind: 'drop', table, chain: base.name } : { kind: 'accept' };
    }
    const rule = chain.rules[i]!;
    const row = i++;
    if (opts.stats) opts.stats.evaluated++;
    spot.chain = chain.name;
    spot.row = row;
    if (!ruleMatches(ns, rule, pkt, addrs, opts, spot)) continue;
    rule.counters.pkts++;
    rule.counters.bytes += pkt.length;
    const markBefore = pkt.mark;
    const t = rule.target;
    const fromRow = from;
    from = row + 1;
    const visit = (verdict: string) => opts.visit({ table, chain: chain.name, row, rule, verdict, markBefore, fromRow, ...takeDraws() });
    switch (t.t) {
      case 'none':
        visit('no target (counted)');
        continue;
      case 'ACCEPT':
        visit('ACCEPT');
        return { kind: 'accept' };
      case 'DROP':
        visit('DROP');
        return { kind: 'drop', table, chain: chain.name };
      case 'REJECT':
        visit(`REJECT ${t.rejectWith}`);
        return { kind: 'reject', with: t.rejectWith, table, chain: chain.name };
      case 'RETURN': {
        visit('RETURN');
        // RETURN from a built-in chain means: the chain's policy decides
        const back = stack.pop() ?? { chain: base, next: base.rules.length };
        chain = back.chain;
        i = from = back.next;
        continue;
      }
      case 'MARK':
        pkt.mark = ((pkt.mark & ~t.mask) ^ t.value) >>> 0;
        visit(`MARK set 0x${pkt.mark.toString(16)}`);
        continue;
      case 'DNAT':
      case 'SNAT': {
        visit(`${t.t} to:${t.toAddr}${t.toPort !== undefined ? `:${t.toPort}` : ''}`);
        return { kind: 'accept', nat: { kind: t.t, addr: t.toAddr, port: t.toPort, random: t.random } };
      }
      case 'MASQUERADE':
        visit('MASQUERADE');
        return { kind: 'accept', nat: { kind: 'MASQUERADE', randomFully: t.randomFully } };
      case 'jump': {
        const target = ns.nf[table].get(t.chain);
        visit(`${t.goto ? 'goto' : 'jump'} ${t.chain}`);
        if (!target) continue;
        if (!t.goto) stack.push({ chain, next: i });
        chain = target;
        i = from = 0;
        continue;
      }
    }
  }
}

function ruleMatches(ns: NetNs, r: Rule, p: NfPacket, addrs: PacketAddrs, opts: HookOptions, spot: WalkSpot): boolean {
  if (r.src && prefixContains(r.src.prefix, addrs.src) === r.src.neg) return false;
  if (r.dst && prefixContains(r.dst.prefix, addrs.dst) === r.dst.neg) return false;
  if (r.proto && (r.proto.name === p.proto) === r.proto.neg) return false;
  if (r.inIface && ifaceMatches(r.inIface.name, p.inDev) === r.inIface.neg) return false;
  if (r.outIface && ifaceMatches(r.outIface.name, p.outDev) === r.outIface.neg) return false;
  for (const m of r.matches) if (!matchOne(ns, m, p, opts, spot)) return false;
  return true;
}

function ifaceMatches(pattern: string, dev: string | undefined): boolean {
  if (dev === undefined) return false;
  return pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : dev === pattern;
}

function inRange(pm: { from: number; to: number; neg: boolean } | undefined, port: number): boolean {
  if (!pm) return true;
  return (port >= pm.from && port <= pm.to) !== pm.neg;
}

function addrType(ns: NetNs, ip: string): AddrType {
  if (ns.isLocal(ip as never)) return 'LOCAL';
  const first = Number(ip.slice(0, ip.indexOf('.')));
  if (first >= 224 && first <= 239) return 'MULTICAST';
  if (ns.isBroadcast(ip as never)) return 'BROADCAST';
  return 'UNICAST';
}

/**
 * __inet_dev_addr_type with a device (`--limit-iface-out`): an address is LOCAL only when its
 * local route is on that device; another device's address counts as UNICAST.
 */
function addrTypeOnDev(ns: NetNs, ip: string, dev: string | undefined): AddrType {
  const t = addrType(ns, ip);
  if (t !== 'LOCAL') return t;
  return dev !== undefined && ns.dev(dev)?.addrs.some((a) => a.addr === ip) === true ? 'LOCAL' : 'UNICAST';
}

function matchOne(ns: NetNs, m: Match, p: NfPacket, opts: HookOptions, spot: WalkSpot): boolean {
  switch (m.m) {
    case 'comment':
      return true;
    case 'tcp':
    case 'udp':
    case 'sctp':
      return p.proto === m.m && inRange(m.sport, p.sport) && inRange(m.dport, p.dport);
    case 'icmp':
      return p.proto === 'icmp' && (m.icmpType === undefined || m.icmpType === p.icmpType);
    case 'statistic': {
      // xt_statistic.c: (get_random_u32() & 0x7FFFFFFF) < info->u.random.probability
      const drawn = opts.rng.nextU32() & 0x7fffffff;
      const matched = drawn < m.probability !== !!m.neg;
      spot.draws.push({ chain: spot.chain, row: spot.row, value: drawn / 0x80000000, probability: m.probability / 0x80000000, matched });
      return matched;
    }
    case 'mark':
      return ((p.mark & m.mask) === m.mark) !== m.neg;
    case 'addrtype': {
      const srcType = m.limitIfaceOut ? addrTypeOnDev(ns, p.src, p.outDev) : addrType(ns, p.src);
      if (m.srcType && (srcType === m.srcType) === !!m.srcNeg) return false;
      if (m.dstType && (addrType(ns, p.dst) === m.dstType) === !!m.dstNeg) return false;
      return true;
    }
    case 'conntrack':
      return m.ctstate.some((s) => p.ctState.includes(s)) !== m.neg;
    case 'set': {
      const set = ns.ipsets.get(m.name);
      if (!set) return m.neg;
      if (set.type === 'hash:net') return inNetSet(set.entries, m.flags[0] === 'src' ? p.src : p.dst) !== m.neg;
      return set.entries.has(setKey(set.type, m.flags, p)) !== m.neg;
    }
    case 'recent':
      return recent(ns, m, p, opts.nowSec);
    case 'multiport': {
      if (p.proto !== 'tcp' && p.proto !== 'udp') return false;
      const port = m.dir === 'dports' ? p.dport : p.sport;
      return m.ports.some((r) => port >= r.from && port <= r.to) !== m.neg;
    }
    case 'physdev':
      if (m.physdevIsIn === undefined) return true;
      return (p.physIn !== undefined) !== !!m.neg;
  }
}

/** hash:net: whether one of the set's networks (`10.42.0.0/16`, or a bare address for a /32) holds `ip`. */
function inNetSet(entries: ReadonlySet<string>, ip: string): boolean {
  const n = ipToInt(ip as Ipv4);
  for (const e of entries) if (prefixContains(parseCidr(e.includes('/') ? e : `${e}/32`), n)) return true;
  return false;
}

/** The element an ipset lookup builds from the packet (ipset's hash:ip,port etc. with src/dst flags). */
function setKey(type: string, flags: readonly ('src' | 'dst')[], p: NfPacket): string {
  const addr = (f: 'src' | 'dst' | undefined) => (f === 'src' ? p.src : p.dst);
  const port = (f: 'src' | 'dst' | undefined) => (f === 'src' ? p.sport : p.dport);
  switch (type) {
    case 'bitmap:port':
      return String(port(flags[0]));
    case 'hash:ip':
      return addr(flags[0]);
    case 'hash:ip,port':
      return `${addr(flags[0])},${p.proto}:${port(flags[1])}`;
    case 'hash:ip,port,ip':
      return `${addr(flags[0])},${p.proto}:${port(flags[1])},${addr(flags[2])}`;
    default:
      return `${addr(flags[0])},${p.proto}:${port(flags[1])}`;
  }
}

function recent(ns: NetNs, m: Extract<Match, { m: 'recent' }>, p: NfPacket, now: number): boolean {
  let lists = recentLists.get(ns);
  if (!lists) recentLists.set(ns, (lists = new Map()));
  let list = lists.get(m.name);
  if (!list) lists.set(m.name, (list = new Map()));
  if (m.mode === 'set') {
    list.set(p.src, now);
    return true;
  }
  const seen = list.get(p.src);
  if (seen === undefined) return false;
  if (m.seconds !== undefined && now - seen > m.seconds) return false;
  if (m.mode === 'update') list.set(p.src, now);
  return true;
}
