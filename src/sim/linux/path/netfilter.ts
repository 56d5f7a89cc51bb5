import { ipToInt } from '../../net/addr.ts';
import { ipIndex, l4Of } from '../../net/edit.ts';
import { ipLength } from '../../net/encode.ts';
import { IPPROTO_IPIP, type Ipv4Layer } from '../../net/packet.ts';
import { runHook, type HookVerdict, type NatAction, type NfPacket, type RuleVisit } from '../netfilter/engine.ts';
import { HOOK_TABLES, type CtState, type HookName, type TableName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import { packetView, ruleText, runNftChain, type NftEvalContext, type NftVisit } from '../nftables/eval.ts';
import type { NftChain, NftHook, NftTable } from '../nftables/types.ts';
import { icmpError, tcpReset, rejectCode } from './icmp.ts';
import { bindNat, translateExisting, translateRelated } from './nat.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// Netfilter hooks (net/netfilter/core.c): run what is registered at a hook — iptables' tables and
// nf_tables base chains — in priority order, NAT at the nat core's place, and act on the verdict.

/** iptables' tables at their hooks (include/uapi/linux/netfilter_ipv4.h NF_IP_PRI_*). */
const TABLE_PRIORITY: Readonly<Record<Exclude<TableName, 'nat'>, number>> = { raw: -300, mangle: -150, filter: 0 };
export const NF_IP_PRI_NAT_DST = -100;
export const NF_IP_PRI_NAT_SRC = 100;

const NFT_HOOK: Readonly<Record<HookName, NftHook>> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/** What decided a packet's fate at a hook, and where. */
export type PathVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop'; readonly where: string }
  | { readonly kind: 'reject'; readonly with: string; readonly where: string };

/** Only the hook functions with priority below `below` / at or above `from` (IPVS sits between). */
export interface PrioritySpan {
  readonly below?: number;
  readonly from?: number;
}

/** One function registered at the hook: an iptables table, an nf_tables base chain, or the nat core. */
type HookEntry =
  | { readonly kind: 'ipt'; readonly prio: number; readonly reg: number; readonly table: TableName }
  | { readonly kind: 'nft'; readonly prio: number; readonly reg: number; readonly table: NftTable; readonly chain: NftChain }
  | { readonly kind: 'nat'; readonly prio: number; readonly reg: number };

/**
 * nf_hook_entries_grow keeps a hook's functions sorted by priority, a newcomer going before
 * equals: iptables' tables register at boot, nf_tables chains later. NAT chains of both kinds do
 * not hook themselves: nf_nat registers one function at NF_IP_PRI_NAT_DST (PREROUTING, OUTPUT) or
 * NF_IP_PRI_NAT_SRC (INPUT, POSTROUTING) and runs them from there, in their own priority order.
 */
function hookEntries(ns: NetNs, hookName: HookName): { readonly entries: HookEntry[]; readonly natChains: HookEntry[] } {
  const entries: HookEntry[] = [];
  const natChains: HookEntry[] = [];
  for (const t of HOOK_TABLES[hookName]) {
    if (t === 'nat') natChains.push({ kind: 'ipt', prio: natPriority(hookName)!, reg: 0, table: 'nat' });
    else entries.push({ kind: 'ipt', prio: TABLE_PRIORITY[t], reg: 0, table: t });
  }
  for (const { table, chain } of ns.nft.baseChains(NFT_HOOK[hookName])) {
    const e: HookEntry = { kind: 'nft', prio: chain.base!.priority, reg: chain.registered, table, chain };
    (chain.base!.type === 'nat' ? natChains : entries).push(e);
  }
  const nat = natPriority(hookName);
  if (nat !== undefined && natChains.length > 0) entries.push({ kind: 'nat', prio: nat, reg: 0 });
  const order = (a: HookEntry, b: HookEntry) => a.prio - b.prio || b.reg - a.reg;
  return { entries: entries.sort(order), natChains: natChains.sort(order) };
}

function natPriority(hookName: HookName): number | undefined {
  if (hookName === 'PREROUTING' || hookName === 'OUTPUT') return NF_IP_PRI_NAT_DST;
  if (hookName === 'INPUT' || hookName === 'POSTROUTING') return NF_IP_PRI_NAT_SRC;
  return undefined;
}

/** What a rule sees of the packet now (rebuilt after NAT rewrote it). */
function nfPacket(skb: Skb, inDev: string | undefined, outDev: string | undefined, ctState: CtState[]): NfPacket {
  const i = ipIndex(skb.packet);
  const ip4 = skb.packet[i] as Ipv4Layer;
  const l4 = skb.packet[i + 1];
  return {
    src: ip4.src,
    dst: ip4.dst,
    proto: l4?.type === 'tcp' || l4?.type === 'udp' || l4?.type === 'icmp' ? l4.type : ip4.proto === IPPROTO_IPIP ? 'ipencap' : 'other',
    sport: l4?.type === 'tcp' || l4?.type === 'udp' ? l4.srcport : 0,
    dport: l4?.type === 'tcp' || l4?.type === 'udp' ? l4.dstport : 0,
    icmpType: l4?.type === 'icmp' ? l4.icmp_type : undefined,
    length: ipLength(skb.packet),
    inDev,
    outDev,
    physIn: skb.physIn,
    ctState,
    mark: skb.mark,
  };
}

/**
 * nf_hook_slow at one hook: every registered function in priority order. A drop or reject ends
 * the walk; the nat core binds a new connection's translation (the first nat chain that decides
 * wins, nf_nat_inet_fn) or applies an existing connection's, and later functions see the
 * rewritten packet — nft's `filter-output` at priority 0 sees the DNATed destination.
 */
export function hook(w: PacketWalk, ns: NetNs, skb: Skb, hookName: HookName, inDev: string | undefined, outDev: string | undefined, span: PrioritySpan = {}): PathVerdict {
  const ctState: CtState[] = [];
  if (skb.invalid) ctState.push('INVALID');
  else if (skb.conn) {
    // ctinfo: IP_CT_NEW in the original direction until a reply has been seen
    if (skb.related) ctState.push('RELATED');
    else if (skb.conn.seenReply || skb.dir === 'reply') ctState.push('ESTABLISHED');
    else ctState.push('NEW');
    if (skb.conn.reply.src !== skb.conn.orig.dst) ctState.push('DNAT');
    if (skb.conn.reply.dst !== skb.conn.orig.src) ctState.push('SNAT');
  }
  let pkt = nfPacket(skb, inDev, outDev, ctState);
  const evaluatedBefore = w.nfStats.evaluated;
  const nowUs = w.world.timeUs;
  const common = { hook: hookName, rng: w.world.rng, nowSec: Math.floor(nowUs / 1e6), stats: w.nfStats };
  const iptVisit = (visit: RuleVisit) => {
    skb.mark = pkt.mark;
    w.emit(ns, visit.row < 0 ? 'policy' : 'rule', skb, {
      hook: hookName,
      ref: {
        table: 'iptables',
        nfTable: visit.table,
        chain: visit.chain,
        row: visit.row < 0 ? undefined : visit.row,
        fromRow: visit.fromRow,
        text: visit.row < 0 ? undefined : w.world.describeRule?.(ns, visit.table, visit.chain, visit.row),
      },
      verdict: visit.verdict,
      draws: visit.draws,
      explanation: explainRule(hookName, visit.table, visit.chain, visit.verdict, visit.markBefore, pkt.mark),
    });
  };
  const nftCtx = (): NftEvalContext => ({
    ns,
    rng: w.world.rng,
    nowUs,
    stats: w.nfStats,
    visit: (visit) => {
      skb.mark = pkt.mark;
      w.emit(ns, visit.row < 0 ? 'policy' : 'rule', skb, {
        hook: hookName,
        ref: {
          table: 'nftables',
          nftTable: `${visit.table.family} ${visit.table.name}`,
          chain: visit.chain.name,
          row: visit.row < 0 ? undefined : visit.row,
          fromRow: visit.fromRow,
          handle: visit.rule?.handle,
          text: visit.rule ? ruleText(visit.table, visit.rule) : undefined,
          element: visit.element,
        },
        verdict: visit.verdict,
        ...(visit.numgen !== undefined ? { decision: numgenDecision(visit) } : {}),
        explanation: explainNftRule(hookName, visit, pkt.mark),
      });
    },
  });
  const runNft = (table: NftTable, chain: NftChain) => {
    const addrs = packetView(pkt, ipToInt(pkt.src), ipToInt(pkt.dst));
    return runNftChain(table, chain, pkt, addrs, nftCtx());
  };
  const stop = (v: PathVerdict): PathVerdict => {
    skb.mark = pkt.mark;
    w.evaluatedByHost[ns.host] = (w.evaluatedByHost[ns.host] ?? 0) + w.nfStats.evaluated - evaluatedBefore;
    return v;
  };
  const { entries, natChains } = hookEntries(ns, hookName);
  for (const e of entries) {
    if (span.below !== undefined && e.prio >= span.below) continue;
    if (span.from !== undefined && e.prio < span.from) continue;
    if (e.kind === 'ipt') {
      const r = runHook(ns, pkt, { ...common, tables: [e.table], nat: false, visit: iptVisit });
      if (r.kind === 'drop') return stop({ kind: 'drop', where: `${r.table} ${r.chain}` });
      if (r.kind === 'reject') return stop({ kind: 'reject', with: r.with, where: `${r.table} ${r.chain}` });
    } else if (e.kind === 'nft') {
      const r = runNft(e.table, e.chain);
      const where = `nftables ${e.table.family} ${e.table.name} ${e.chain.name}`;
      if (r.kind === 'drop') return stop({ kind: 'drop', where });
      if (r.kind === 'reject') return stop({ kind: 'reject', with: r.with, where });
    } else {
      const v = natSlot(w, ns, skb, hookName, natChains, pkt, (t) => runHook(ns, pkt, { ...common, tables: [t], nat: true, visit: iptVisit }), runNft);
      if (v.kind !== 'accept') return stop(v);
      pkt = nfPacket(skb, inDev, outDev, ctState);
    }
  }
  return stop({ kind: 'accept' });
}

/**
 * nf_nat_inet_fn: a connection's first packet in this direction runs the nat chains until one
 * sets up a binding (later ones are not consulted); every later packet, and replies, get the
 * connection's existing binding applied (nf_nat_packet) without any chain.
 */
function natSlot(
  w: PacketWalk,
  ns: NetNs,
  skb: Skb,
  hookName: HookName,
  natChains: readonly HookEntry[],
  pkt: NfPacket,
  runIpt: (t: TableName) => HookVerdict,
  runNft: (table: NftTable, chain: NftChain) => ReturnType<typeof runNftChain>,
): PathVerdict {
  if (!skb.conn) return { kind: 'accept' };
  const dstHook = hookName === 'PREROUTING' || hookName === 'OUTPUT';
  const isNew = !ns.conntrack.isConfirmed(skb.conn) && !skb.related;
  const fresh = isNew && (dstHook ? !skb.conn.natDoneDst : !skb.conn.natDoneSrc);
  if (!fresh) {
    if (skb.related) translateRelated(w, ns, skb, hookName);
    else translateExisting(w, ns, skb, hookName);
    return { kind: 'accept' };
  }
  let nat: NatAction | undefined;
  for (const e of natChains) {
    if (e.kind === 'ipt') {
      const r = runIpt(e.table);
      if (r.kind === 'drop') return { kind: 'drop', where: `${r.table} ${r.chain}` };
      if (r.kind === 'reject') return { kind: 'reject', with: r.with, where: `${r.table} ${r.chain}` };
      nat = r.nat;
    } else if (e.kind === 'nft') {
      const r = runNft(e.table, e.chain);
      const where = `nftables ${e.table.family} ${e.table.name} ${e.chain.name}`;
      if (r.kind === 'drop') return { kind: 'drop', where };
      if (r.kind === 'reject') return { kind: 'reject', with: r.with, where };
      nat = r.nat;
    }
    skb.mark = pkt.mark;
    if (nat) break;
  }
  if (dstHook) skb.conn.natDoneDst = true;
  else skb.conn.natDoneSrc = true;
  if (nat) bindNat(w, ns, skb, nat, hookName);
  return { kind: 'accept' };
}

/** Acts on a hook's verdict: drop, or reject (an ICMP error or a TCP reset, then drop). */
export function applyVerdict(w: PacketWalk, ns: NetNs, skb: Skb, v: PathVerdict, hookName: HookName, isError: boolean): void {
  if (v.kind === 'drop') {
    return w.drop(ns, skb, 'NETFILTER_DROP', `dropped by ${v.where} at ${hookName}`);
  }
  if (v.kind === 'reject') {
    const l4 = l4Of(skb.packet);
    if (v.with === 'tcp-reset' && l4?.type === 'tcp') w.queue.push({ ns, packet: tcpReset(skb.packet), role: 'reset', isError: false });
    else icmpError(w, ns, skb, 3, rejectCode(v.with), isError);
    return w.drop(ns, skb, 'NETFILTER_REJECT', `rejected by ${v.where} at ${hookName} with ${v.with}`);
  }
}

/** Why a `numgen random mod N` rule chose: the draw, its odds, what it picked. */
function numgenDecision(v: NftVisit): string {
  const picked = v.element ?? v.verdict;
  return `${v.chain.name}: numgen random mod ${v.numgenMod ?? '?'} drew ${v.numgen} (each of the ${v.numgenMod ?? '?'} values equally likely) → ${picked}`;
}

/** An nf_tables rule's step in words (the Kubernetes meaning, if any, is added by the k8s layer). */
export function explainNftRule(hookName: HookName, v: NftVisit, markAfter: number): string {
  const where = `${v.table.family} ${v.table.name} ${v.chain.name}${v.chain.base ? '' : ` (${hookName})`}`;
  if (v.verdict.startsWith('policy')) return `No rule in ${where} decided; the base chain's ${v.verdict} applies.`;
  if (v.verdict === 'end of chain') return `The end of ${where}: back to the chain that jumped here.`;
  if (v.element !== undefined && v.numgen !== undefined) {
    return `${where}: numgen drew ${v.numgen}; the rule's own verdict map holds ${v.element}, so the packet does ${v.verdict}.`;
  }
  if (v.element !== undefined) return `${where}: one lookup in ${v.lookup} finds the element ${v.element}, so the packet does ${v.verdict}.`;
  if (v.verdict.startsWith('jump') || v.verdict.startsWith('goto')) return `${where}: the rule matches, so the packet ${v.verdict.startsWith('jump') ? 'jumps to' : 'goes to'} ${v.verdict.split(' ')[1]}${v.verdict.startsWith('goto') ? ' (goto: it will not come back here)' : ''}.`;
  if (v.verdict.startsWith('meta mark set')) return `${where}: the packet's mark becomes 0x${v.markBefore.toString(16)} → 0x${markAfter.toString(16)}.`;
  if (v.verdict.startsWith('dnat')) return `${where}: ${v.verdict} — the nat core records the binding in conntrack.`;
  if (v.verdict.startsWith('masquerade')) return `${where}: ${v.verdict} — the source becomes the address of the outgoing device.`;
  if (v.verdict === 'return') return `${where}: return to the calling chain.`;
  return `${where}: ${v.verdict}.`;
}

export function explainRule(hook: HookName, table: string, chain: string, verdict: string, markBefore: number, markAfter: number): string {
  const where = chain === hook ? `${table} ${chain}` : `${table} ${chain} (${hook})`;
  if (verdict.startsWith('policy')) return `No rule in ${where} decided; the chain's ${verdict} applies.`;
  if (verdict === 'end of chain') return `No rule in ${where} matched: back to the chain that jumped here.`;
  if (verdict.startsWith('jump') || verdict.startsWith('goto')) return `${where}: the rule matches, so the packet ${verdict.startsWith('jump') ? 'jumps to' : 'goes to'} ${verdict.split(' ')[1]}.`;
  if (verdict.startsWith('MARK')) return `${where}: the packet's mark becomes 0x${markBefore.toString(16)} → 0x${markAfter.toString(16)}.`;
  if (verdict.startsWith('DNAT')) return `${where}: DNAT chosen — ${verdict}.`;
  if (verdict === 'MASQUERADE') return `${where}: MASQUERADE — the source becomes the address of the outgoing device.`;
  if (verdict === 'RETURN') return `${where}: RETURN to the calling chain.`;
  return `${where}: ${verdict}.`;
}
