import { ipIndex } from '../net/edit.ts';
import type { Ipv4Layer, Layer } from '../net/packet.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';
import { eventLevels, levelRank, representatives, type TraceLevel } from '../trace/levels.ts';

/** One line per step: where (host/netns), what (kind, device or table/chain/rule), the result. */
export function eventLine(e: TraceEvent): string {
  const where = `${e.host}/${e.netns}`;
  let what: string = e.kind;
  if (e.kind === 'rule' || e.kind === 'policy') {
    const r = e.ref;
    what = `${e.hook} ${r?.nfTable} ${r?.chain}${r?.row !== undefined ? ` #${r.row + 1}` : ''}`;
  } else if (e.dev) what = `${e.kind} ${e.dev}`;
  if (e.kind === 'nat' || e.kind === 'forward') {
    // what the step rewrote (addresses, ports, TTL), not the checksums that follow from it
    const own = e.changed.filter((c) => c.from !== undefined && c.field !== 'checksum' && c.field !== 'len');
    if (own.length) what += ` ${own.map((c) => `${c.field} ${String(c.from)} → ${String(c.to)}`).join(', ')}`;
  }
  const verdict = e.verdict ? ` → ${e.verdict}` : '';
  const reason = e.reason ? ` [${e.reason}]` : '';
  return `${String(e.seq).padStart(4)}  ${where.padEnd(34)} ${what}${verdict}${reason}`;
}

function summary(l: Layer): string {
  return l.type === 'ipv4' ? `${l.src} → ${l.dst} ttl ${l.ttl}` : '';
}

/**
 * The human-readable hop list `kube-packet-lab trace` prints, at a level of detail: `rules`
 * prints every step; `kernel` and `path` print the steps of that level, each with how many
 * finer steps it stands for (`(+7)`), numbered as in the full trace.
 */
export function renderTrace(t: Trace, verbose: boolean, level: TraceLevel = 'rules'): string {
  let out = '';
  let packet = -1;
  const ranks = eventLevels(t.events);
  const max = levelRank(level);
  const rep = representatives(ranks, level);
  let groupStart = 0;
  for (const [i, e] of t.events.entries()) {
    if (ranks[i]! > max && rep[i] !== i) continue;
    const contains = i - groupStart;
    groupStart = i + 1;
    if (e.packetId !== packet) {
      packet = e.packetId;
      const p = t.packets.find((x) => x.packetId === packet);
      const ip4 = e.packet[ipIndex(e.packet)] as Ipv4Layer | undefined;
      out += `\npacket ${packet} (${p?.role ?? '?'})${ip4 ? `: ${summary(ip4)}` : ''}\n`;
    }
    out += `${eventLine(e)}${contains > 0 && level !== 'rules' ? `  (+${contains})` : ''}\n`;
    if (verbose) out += `        ${e.explanation}\n`;
  }
  const first = t.packets[0];
  out += `\nverdict: ${t.verdict}${t.reason ? ` (${t.reason})` : ''}${first ? ` at ${first.host}/${first.netns}` : ''}\n`;
  return out.replace(/^\n/, '');
}

/** The `--json` shape: verdict, reason, and every event with its packet's layers outermost first. */
export function traceJson(t: Trace): unknown {
  return {
    verdict: t.verdict,
    ...(t.reason ? { reason: t.reason } : {}),
    packets: t.packets,
    events: t.events.map((e) => ({
      seq: e.seq,
      packetId: e.packetId,
      host: e.host,
      netns: e.netns,
      kind: e.kind,
      ...(e.dev ? { dev: e.dev } : {}),
      ...(e.hook ? { hook: e.hook } : {}),
      ...(e.ref ? { ref: e.ref } : {}),
      ...(e.verdict ? { verdict: e.verdict } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.draws ? { draws: e.draws } : {}),
      ...(e.decision ? { decision: e.decision } : {}),
      ...(e.conn ? { conn: e.conn } : {}),
      changed: e.changed,
      explanation: e.explanation,
      packet: { layers: e.packet },
    })),
  };
}
