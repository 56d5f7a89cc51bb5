import { intToIp } from '../../net/addr.ts';
import type { Rng } from '../../rng.ts';
import type { NatAction, NfPacket } from '../netfilter/engine.ts';
import type { NetNs } from '../netns.ts';
import { CT_STATE_BITS, FIB_ADDRTYPES, printConst } from './datatypes.ts';
import { printElement, printRule, printSelector, printVerdict } from './print.ts';
import type { NftChain, NftConst, NftElement, NftRule, NftSelector, NftSet, NftStmt, NftTable, NftVerdict } from './types.ts';

// nft_do_chain (net/netfilter/nf_tables_core.c): a base chain's rules, one expression after
// another; a failed match breaks to the next rule, a verdict ends the rule, jump/goto/return move
// through a stack, a base chain that runs out applies its policy.

/** One rule that decided something, as the trace shows it. */
export interface NftVisit {
  readonly table: NftTable;
  readonly chain: NftChain;
  /** index of the rule in its chain; -1 for the end of a chain or the policy */
  readonly row: number;
  readonly rule?: NftRule;
  /** `goto service-…`, `dnat to 10.42.1.6:80`, `meta mark set 0x00004000`, `policy accept` */
  readonly verdict: string;
  /** rows fromRow…row-1 were evaluated and did not match */
  readonly fromRow: number;
  readonly markBefore: number;
  /** a map lookup that decided the verdict: the element as `nft list` prints it */
  readonly element?: string;
  /** the map or set looked up (`@service-ips`, or the rule's anonymous map) */
  readonly lookup?: string;
  /** `numgen random mod 2` drew this value */
  readonly numgen?: number;
  /** …out of this many (the modulus) */
  readonly numgenMod?: number;
}

export type NftChainResult =
  | { readonly kind: 'accept'; readonly nat?: NatAction }
  | { readonly kind: 'drop' }
  | { readonly kind: 'reject'; readonly with: string };

export interface NftEvalContext {
  readonly ns: NetNs;
  readonly rng: Rng;
  readonly nowUs: number;
  readonly visit: (v: NftVisit) => void;
  /** every rule evaluated, matched or not */
  readonly stats?: { evaluated: number };
}

/** The packet as the expressions read it: addresses as numbers, the protocol number, ct bits. */
interface View {
  readonly pkt: NfPacket;
  readonly src: number;
  readonly dst: number;
  readonly l4proto: number;
  readonly ct: number;
}

const L4: Readonly<Record<NfPacket['proto'], number>> = { tcp: 6, udp: 17, icmp: 1, ipencap: 4, other: 0 };
const CT_BITS: Readonly<Record<string, number>> = { INVALID: 1, ESTABLISHED: 2, RELATED: 4, NEW: 8, UNTRACKED: 64 };
const MAX_DEPTH = 16; // NFT_JUMP_STACK_SIZE

export function packetView(pkt: NfPacket, src: number, dst: number): View {
  let ct = 0;
  for (const s of pkt.ctState) ct |= CT_BITS[s] ?? 0;
  return { pkt, src, dst, l4proto: L4[pkt.proto], ct };
}

/** fib_type: what the routing table says an address is (RTN_LOCAL, RTN_BROADCAST, …). */
function fibType(ns: NetNs, ip: number): number {
  if (ns.isLocal(ip)) return FIB_ADDRTYPES.indexOf('local');
  if (ip >>> 28 === 0xe) return FIB_ADDRTYPES.indexOf('multicast');
  if (ns.isBroadcast(intToIp(ip))) return FIB_ADDRTYPES.indexOf('broadcast');
  return FIB_ADDRTYPES.indexOf('unicast');
}

type Value = number | string | undefined;

/** What a selector loads into a register; undefined when the packet has no such field. */
function load(sel: NftSelector, v: View, ctx: NftEvalContext, drawn: { numgen?: number; mod?: number }): Value | Value[] {
  switch (sel.k) {
    case 'payload': {
      const p = v.pkt;
      if (sel.proto === 'ip') return sel.field === 'saddr' ? v.src : sel.field === 'daddr' ? v.dst : v.l4proto;
      if (sel.proto === 'ip6') return undefined;
      if (sel.proto === 'icmp') return p.proto === 'icmp' ? p.icmpType : undefined;
      // tcp/udp/sctp carry an implicit `meta l4proto` dependency; th reads any transport header
      if (sel.proto !== 'th' && sel.proto !== p.proto) return undefined;
      if (p.proto !== 'tcp' && p.proto !== 'udp') return undefined;
      return sel.field === 'sport' ? p.sport : p.dport;
    }
    case 'meta':
      switch (sel.key) {
        case 'l4proto':
          return v.l4proto;
        case 'mark':
          return v.pkt.mark;
        case 'iifname':
          return v.pkt.inDev;
        case 'oifname':
          return v.pkt.outDev;
        case 'nfproto':
          return 2; // NFPROTO_IPV4
      }
      return undefined;
    case 'ct':
      return v.ct;
    case 'fib':
      return fibType(ctx.ns, sel.addr === 'saddr' ? v.src : v.dst);
    case 'numgen': {
      // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset
      const n = Math.floor((ctx.rng.nextU32() * sel.mod) / 0x100000000) + sel.offset;
      drawn.numgen = n;
      drawn.mod = sel.mod;
      return n;
    }
    case 'concat':
      return sel.parts.map((p) => load(p, v, ctx, drawn) as Value);
    case 'binop': {
      const l = load(sel.left, v, ctx, drawn);
      if (typeof l !== 'number') return undefined;
      const r = sel.right.lo;
      return (sel.op === '&' ? l & r : sel.op === '|' ? l | r : l ^ r) >>> 0;
    }
  }
}

function inConst(c: NftConst, x: Value): boolean {
  if (c.s !== undefined) return typeof x === 'string' && (c.s.endsWith('*') ? x.startsWith(c.s.slice(0, -1)) : x === c.s);
  return typeof x === 'number' && x >= c.lo && x <= c.hi;
}

/** nft_lookup: an exact key is one Map access (hash set); interval sets are scanned. */
export function lookup(set: NftSet, key: Value | Value[], nowUs: number): NftElement | undefined {
  const parts = Array.isArray(key) ? key : [key];
  if (parts.some((p) => p === undefined)) return undefined;
  let e: NftElement | undefined;
  if (!set.flags.includes('interval')) e = set.elements.get(parts.join('.'));
  else {
    for (const cand of set.elements.values()) {
      if (cand.key.every((c, i) => inConst(c, parts[i]))) {
        e = cand;
        break;
      }
    }
  }
  if (e && e.expiresUs !== undefined && e.expiresUs <= nowUs) return undefined;
  return e;
}

function matches(table: NftTable, s: Extract<NftStmt, { k: 'match' }>, v: View, ctx: NftEvalContext, drawn: { numgen?: number; mod?: number }): boolean {
  const x = load(s.left, v, ctx, drawn);
  if (x === undefined) return false;
  const r = s.right;
  if (r.k === 'set') {
    const set = table.sets.get(r.name);
    const hit = !!set && lookup(set, x, ctx.nowUs) !== undefined;
    return s.op === '!=' ? !hit : hit;
  }
  const consts = r.k === 'const' ? [r.value] : r.elems;
  const bitmask = s.left.k === 'ct';
  if (bitmask && typeof x === 'number') {
    const mask = consts[0]!.lo;
    if (s.op === '==') return x === mask;
    return s.op === '!=' ? (x & mask) === 0 : (x & mask) !== 0;
  }
  const value = Array.isArray(x) ? x[0] : x;
  switch (s.op) {
    case 'implicit':
    case '==':
      return consts.some((c) => inConst(c, value));
    case '!=':
      return !consts.some((c) => inConst(c, value));
    default: {
      if (typeof value !== 'number') return false;
      const c = consts[0]!.lo;
      return s.op === '<' ? value < c : s.op === '>' ? value > c : s.op === '<=' ? value <= c : value >= c;
    }
  }
}

/** The reject statement's ICMP code, in the names the packet path's icmp.ts uses. */
function rejectWith(s: Extract<NftStmt, { k: 'reject' }>): string {
  if (!s.with) return 'icmp-port-unreachable';
  if (s.with.family === 'tcp') return 'tcp-reset';
  return s.with.type === 'prot-unreachable' ? 'icmp-proto-unreachable' : `icmp-${s.with.type}`;
}

type Outcome =
  | { readonly k: 'next' }
  | { readonly k: 'verdict'; readonly v: NftVerdict; readonly text: string; readonly element?: string; readonly lookup?: string }
  | { readonly k: 'result'; readonly r: NftChainResult; readonly text: string }
  | { readonly k: 'done'; readonly text: string };

/** One rule's expressions, in order (nft_do_chain's inner loop). */
function runRule(table: NftTable, rule: NftRule, v: View, ctx: NftEvalContext, drawn: { numgen?: number; mod?: number }): Outcome {
  let did = '';
  for (const s of rule.stmts) {
    switch (s.k) {
      case 'match':
        if (!matches(table, s, v, ctx, drawn)) return { k: 'next' };
        break;
      case 'counter':
        s.packets++;
        s.bytes += v.pkt.length;
        break;
      case 'mark-set': {
        const value = 'k' in s.value ? load(s.value, v, ctx, drawn) : s.value.lo;
        if (typeof value === 'number') v.pkt.mark = value >>> 0;
        did = `meta mark set ${printConst('mark', { lo: v.pkt.mark, hi: v.pkt.mark })}`;
        break;
      }
      case 'set-update': {
        const set = table.sets.get(s.set);
        const key = load(s.key, v, ctx, drawn);
        const parts = Array.isArray(key) ? key : [key];
        if (!set || parts.some((p) => typeof p !== 'number')) break;
        const k = parts.join('.');
        const timeout = set.timeoutMs;
        const existing = set.elements.get(k);
        const expiresUs = timeout === undefined ? undefined : ctx.nowUs + timeout * 1000;
        // nft_dynset: `add` leaves an existing element alone, `update` refreshes its timeout
        if (!existing || existing.expiresUs === undefined || existing.expiresUs <= ctx.nowUs) {
          set.elements.set(k, { key: (parts as number[]).map((n) => ({ lo: n, hi: n })), expiresUs });
        } else if (s.op === 'update') existing.expiresUs = expiresUs;
        did = `${s.op} @${s.set} { ${(parts as number[]).map((n, i) => printConst(set.keyType[i]!, { lo: n, hi: n })).join(' . ')} }`;
        break;
      }
      case 'verdict':
        return { k: 'verdict', v: s.v, text: printVerdict(s.v) };
      case 'vmap': {
        const set = table.sets.get(s.map);
        const key = load(s.key, v, ctx, drawn);
        const e = set ? lookup(set, key, ctx.nowUs) : undefined;
        if (!e?.data) return { k: 'next' };
        return { k: 'verdict', v: e.data, text: printVerdict(e.data), element: printElement(set!, e), lookup: s.map.startsWith('__') ? printSelector(s.key) : `@${s.map}` };
      }
      case 'reject':
        return { k: 'result', r: { kind: 'reject', with: rejectWith(s) }, text: rejectWith(s) === 'icmp-port-unreachable' ? 'reject' : `reject with ${s.with!.family === 'tcp' ? 'tcp reset' : `${s.with!.family} ${s.with!.type}`}` };
      case 'nat': {
        const addr = s.addr ? intToIp(s.addr.lo) : v.pkt.dst;
        const text = `${s.type} to ${addr}${s.port !== undefined ? `:${s.port}` : ''}`;
        return { k: 'result', r: { kind: 'accept', nat: { kind: s.type === 'dnat' ? 'DNAT' : 'SNAT', addr, port: s.port } }, text };
      }
      case 'masquerade':
        // nf_nat_l4proto_unique_tuple: NF_NAT_RANGE_PROTO_RANDOM_ALL (random or fully-random)
        // draws the source port even when the client's own would be unique
        return { k: 'result', r: { kind: 'accept', nat: { kind: 'MASQUERADE', randomFully: s.flags.includes('fully-random') || s.flags.includes('random') } }, text: `masquerade${s.flags.length ? ` ${s.flags.join(',')}` : ''}` };
    }
  }
  return { k: 'done', text: did || 'matched (no verdict)' };
}

/**
 * Runs one base chain over a packet. The packet's mark may change (`meta mark set`); what the
 * chain decided comes back as accept (maybe with a NAT binding to set up), drop or reject.
 */
export function runNftChain(table: NftTable, base: NftChain, pkt: NfPacket, view: View, ctx: NftEvalContext): NftChainResult {
  const stack: { chain: NftChain; next: number }[] = [];
  let chain = base;
  let i = 0;
  let from = 0;
  for (;;) {
    if (i >= chain.rules.length) {
      const back = stack.pop();
      if (back) {
        ctx.visit({ table, chain, row: -1, verdict: 'end of chain', fromRow: from, markBefore: pkt.mark });
        chain = back.chain;
        i = from = back.next;
        continue;
      }
      const policy = base.base?.policy ?? 'accept';
      if (base.rules.length > 0 || policy !== 'accept') ctx.visit({ table, chain: base, row: -1, verdict: `policy ${policy}`, fromRow: from, markBefore: pkt.mark });
      return policy === 'drop' ? { kind: 'drop' } : { kind: 'accept' };
    }
    const rule = chain.rules[i]!;
    const row = i++;
    if (ctx.stats) ctx.stats.evaluated++;
    const markBefore = pkt.mark;
    const drawn: { numgen?: number; mod?: number } = {};
    const out = runRule(table, rule, view, ctx, drawn);
    if (out.k === 'next') continue;
    const fromRow = from;
    from = row + 1;
    const visit = (verdict: string, extra: Partial<NftVisit> = {}) => ctx.visit({ table, chain, row, rule, verdict, fromRow, markBefore, numgen: drawn.numgen, numgenMod: drawn.mod, ...extra });
    if (out.k === 'done') {
      visit(out.text);
      continue;
    }
    if (out.k === 'result') {
      visit(out.text);
      return out.r;
    }
    visit(out.text, { element: out.element, lookup: out.lookup });
    const vd = out.v;
    switch (vd.k) {
      case 'accept':
        return { kind: 'accept' };
      case 'drop':
        return { kind: 'drop' };
      case 'continue':
        continue;
      case 'return': {
        const back = stack.pop();
        if (!back) {
          // return from a base chain: its policy decides
          i = chain.rules.length;
          continue;
        }
        chain = back.chain;
        i = from = back.next;
        continue;
      }
      case 'jump':
      case 'goto': {
        const target = table.chains.get(vd.chain);
        if (!target) continue;
        if (vd.k === 'jump') {
          if (stack.length >= MAX_DEPTH) return { kind: 'drop' };
          stack.push({ chain, next: i });
        }
        chain = target;
        i = from = 0;
        continue;
      }
    }
  }
}

/** The rule text the trace shows (as `nft list` prints it). */
export function ruleText(table: NftTable, rule: NftRule): string {
  return printRule(table, rule);
}

/** `ct state` bits as words, for explanations. */
export function ctStateWords(bits: number): string {
  return CT_STATE_BITS.filter(([, b]) => (bits & b) !== 0).map(([n]) => n).join(',');
}
