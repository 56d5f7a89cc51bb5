import { ipIndex, l4Of } from '../../net/edit.ts';
import { ipLength } from '../../net/encode.ts';
import { IPPROTO_IPIP, type Ipv4Layer } from '../../net/packet.ts';
import { runHook, type HookVerdict, type NfPacket } from '../netfilter/engine.ts';
import type { CtState, HookName, TableName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import { icmpError, tcpReset, rejectCode } from './icmp.ts';
import { bindNat, translateExisting, translateRelated } from './nat.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// Netfilter hooks (net/netfilter/core.c): run the tables registered at a hook and act on the verdict.

export function hook(w: PacketWalk, ns: NetNs, skb: Skb, hook: HookName, inDev: string | undefined, outDev: string | undefined, tables?: readonly TableName[]): HookVerdict {
  const i = ipIndex(skb.packet);
  const ip4 = skb.packet[i] as Ipv4Layer;
  const l4 = skb.packet[i + 1];
  const ctState: CtState[] = [];
  if (skb.conn) {
    // ctinfo: IP_CT_NEW in the original direction until a reply has been seen
    if (skb.related) ctState.push('RELATED');
    else if (skb.conn.seenReply || skb.dir === 'reply') ctState.push('ESTABLISHED');
    else ctState.push('NEW');
    if (skb.conn.reply.src !== skb.conn.orig.dst) ctState.push('DNAT');
    if (skb.conn.reply.dst !== skb.conn.orig.src) ctState.push('SNAT');
  }
  const pkt: NfPacket = {
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
  const isNew = !!skb.conn && !ns.conntrack.isConfirmed(skb.conn) && !skb.related;
  // nat registers DNAT at PREROUTING/OUTPUT and SNAT at INPUT/POSTROUTING, once per direction
  const dstHook = hook === 'PREROUTING' || hook === 'OUTPUT';
  const srcHook = hook === 'INPUT' || hook === 'POSTROUTING';
  const natThisHook = isNew && (!tables || tables.includes('nat')) && ((dstHook && !skb.conn!.natDoneDst) || (srcHook && !skb.conn!.natDoneSrc));
  const evaluatedBefore = w.nfStats.evaluated;
  const v = runHook(ns, pkt, {
    hook,
    tables,
    nat: natThisHook,
    rng: w.world.rng,
    nowSec: Math.floor(w.world.timeUs / 1e6),
    stats: w.nfStats,
    visit: (visit) => {
      skb.mark = pkt.mark;
      w.emit(ns, visit.row < 0 ? 'policy' : 'rule', skb, {
        hook,
        ref: {
          table: 'iptables',
          nfTable: visit.table,
          chain: visit.chain,
          row: visit.row < 0 ? undefined : visit.row,
          fromRow: visit.fromRow,
          text: visit.row < 0 ? undefined : w.world.describeRule?.(ns, visit.table, visit.chain, visit.row),
        },
        verdict: visit.verdict,
        explanation: explainRule(hook, visit.table, visit.chain, visit.verdict, visit.markBefore, pkt.mark),
      });
    },
  });
  skb.mark = pkt.mark;
  w.evaluatedByHost[ns.host] = (w.evaluatedByHost[ns.host] ?? 0) + w.nfStats.evaluated - evaluatedBefore;
  if (skb.conn && natThisHook) {
    if (dstHook) skb.conn.natDoneDst = true;
    else skb.conn.natDoneSrc = true;
  }
  return v;
}

/** Acts on a hook's verdict: drop, reject (ICMP/RST), or apply the NAT binding the nat table chose. */
export function applyVerdict(w: PacketWalk, ns: NetNs, skb: Skb, v: HookVerdict, hook: HookName, isError: boolean): void {
  if (v.kind === 'drop') {
    return w.drop(ns, skb, 'NETFILTER_DROP', `dropped by ${v.table} ${v.chain} at ${hook}`);
  }
  if (v.kind === 'reject') {
    const l4 = l4Of(skb.packet);
    if (v.with === 'tcp-reset' && l4?.type === 'tcp') w.queue.push({ ns, packet: tcpReset(skb.packet), role: 'reset', isError: false });
    else icmpError(w, ns, skb, 3, rejectCode(v.with), isError);
    return w.drop(ns, skb, 'NETFILTER_REJECT', `rejected by ${v.table} ${v.chain} at ${hook} with ${v.with}`);
  }
  if (v.nat && skb.conn) bindNat(w, ns, skb, v.nat, hook);
  else if (skb.conn && skb.related) translateRelated(w, ns, skb, hook);
  else if (skb.conn) translateExisting(w, ns, skb, hook);
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
