import type { Modes, NamespaceTables, FlowSpec } from '../../sim/api-types.ts';
import { ipLength } from '../../sim/net/encode.ts';
import type { Layer, Packet, TcpOption } from '../../sim/net/packet.ts';
import { conntrackLine } from '../../sim/cli/conntrack.ts';
import type { CtEntry, Trace, TraceEvent, EventKind } from '../../sim/trace/event.ts';
import { innerStart } from '../../sim/net/edit.ts';

/**
 * Everything the UI shows that follows from (trace, tables, cursor): counters, the chain
 * traversal, the packet's layer names, what changed between two traces. Pure functions: the
 * store keeps only the trace and the cursor.
 */

// ---------------------------------------------------------------------------------------------
// Packet layers

export interface LayerName {
  /**
   * `outer` for the VXLAN tunnel headers, `inner` for what they carry, `quoted` for the packet an
   * ICMP error quotes, `''` otherwise
   */
  readonly scope: 'outer' | 'inner' | 'quoted' | '';
  readonly type: Layer['type'];
  /** dotted id for test ids and field selection: `ipv4`, `outer.ipv4` */
  readonly id: string;
  /** what a person reads: `IPv4`, `outer IPv4` */
  readonly title: string;
}

const LAYER_TITLE: Readonly<Record<Layer['type'], string>> = {
  ethernet: 'Ethernet',
  arp: 'ARP',
  ipv4: 'IPv4',
  icmp: 'ICMP',
  udp: 'UDP',
  tcp: 'TCP',
  vxlan: 'VXLAN',
  data: 'Data',
};

/**
 * Names each layer of a packet. Everything before the inner packet of an encapsulation (VXLAN,
 * IPIP, flannel udp) is the outer (underlay) packet; the inner one keeps the plain names so that
 * `ipv4.dst` always means the pod-to-pod packet's destination.
 */
export function layerNames(packet: Packet): LayerName[] {
  const inner = innerStart(packet);
  const icmpErr = packet.findIndex((l) => l.type === 'icmp' && (l.icmp_type === 3 || l.icmp_type === 11));
  return packet.map((l, i) => {
    const scope = icmpErr >= 0 && i > icmpErr ? 'quoted' : inner < 0 ? '' : i < inner ? 'outer' : 'inner';
    const id = scope === 'outer' || scope === 'quoted' ? `${scope}.${l.type}` : l.type;
    const title = scope === '' ? LAYER_TITLE[l.type] : `${scope} ${LAYER_TITLE[l.type]}`;
    return { scope, type: l.type, id, title };
  });
}

/** A layer's fields in wire order, without its `type` tag, as label/value pairs. */
export function layerFields(layer: Layer): { field: string; value: string }[] {
  const out: { field: string; value: string }[] = [];
  for (const [k, v] of Object.entries(layer)) {
    if (k === 'type' || v === undefined) continue;
    out.push({ field: k, value: formatField(layer.type, k, v) });
  }
  return out;
}

const TCP_FLAG_NAMES: readonly [number, string][] = [
  [0x01, 'FIN'],
  [0x02, 'SYN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
];

/** Field values as Wireshark shows them (hex for ethertype and flags, names for protocols). */
export function formatField(type: Layer['type'], field: string, v: unknown): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (type === 'ethernet' && field === 'ethertype') return `0x${v.toString(16).padStart(4, '0')}${v === 0x800 ? ' (IPv4)' : v === 0x806 ? ' (ARP)' : ''}`;
    if (type === 'ipv4' && field === 'proto') return `${v}${v === 1 ? ' (ICMP)' : v === 6 ? ' (TCP)' : v === 17 ? ' (UDP)' : ''}`;
    if (type === 'tcp' && field === 'flags') {
      const names = TCP_FLAG_NAMES.filter(([b]) => (v & b) !== 0).map(([, n]) => n);
      return `0x${v.toString(16).padStart(3, '0')}${names.length ? ` (${names.join(', ')})` : ''}`;
    }
    if (type === 'vxlan' && field === 'flags') return `0x${v.toString(16).padStart(2, '0')}`;
    if (type === 'ipv4' && field === 'dsfield') return `0x${v.toString(16).padStart(2, '0')}`;
    if (type === 'ipv4' && field === 'id') return `0x${v.toString(16).padStart(4, '0')} (${v})`;
    return String(v);
  }
  if (Array.isArray(v)) {
    return v
      .map((o: TcpOption) =>
        o.kind === 'mss' ? `MSS ${o.value}` : o.kind === 'wscale' ? `WS ${o.value}` : o.kind === 'timestamp' ? `TS ${o.tsval}/${o.tsecr}` : o.kind.toUpperCase(),
      )
      .join(', ') || '—';
  }
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// Netfilter counters and chain traversal

/** The key of one iptables row in one namespace. */
export function ruleKey(host: string, netns: string, table: string, chain: string, row: number): string {
  return `${host}|${netns}|${table}|${chain}|${row}`;
}

/** A rule event counted as a match (a visited rule that did not match has `no match`). */
export function ruleMatched(ev: TraceEvent): boolean {
  return ev.kind === 'rule' && !/^no match/i.test(ev.verdict ?? '');
}

export interface Counter {
  readonly pkts: number;
  readonly bytes: number;
}

/** Counters at one step, by `ruleKey`. */
export interface CountersAtStep {
  get(key: string): Counter | undefined;
}

const finalCounters = new WeakMap<readonly NamespaceTables[], ReadonlyMap<string, Counter>>();

/** Every iptables rule's counter after the whole flow, read once per trace (a large cluster has many rules). */
function countersAfterFlow(tables: readonly NamespaceTables[]): ReadonlyMap<string, Counter> {
  let m = finalCounters.get(tables);
  if (m) return m;
  const all = new Map<string, Counter>();
  for (const t of tables) {
    for (const c of t.iptables) {
      c.rules.forEach((r, i) => all.set(ruleKey(t.host, t.netns, c.table, c.name, i), { pkts: r.pkts, bytes: r.bytes }));
    }
  }
  finalCounters.set(tables, (m = all));
  return m;
}

/**
 * Counters as `iptables -nvL` would print them right after the step at `cursor`: the tables
 * hold the counters after the whole flow, so every rule the flow matched after the cursor is
 * taken back off — what remains counts exactly the packets that have passed so far. A step
 * costs the events after it, not the cluster's rules: those are read once per trace.
 */
export function liveCounters(tables: readonly NamespaceTables[], events: readonly TraceEvent[], cursor: number): CountersAtStep {
  const final = countersAfterFlow(tables);
  const taken = new Map<string, Counter>();
  for (let i = Math.max(0, cursor + 1); i < events.length; i++) {
    const ev = events[i]!;
    if (!ruleMatched(ev) || ev.ref?.row === undefined || !ev.ref.chain) continue;
    const k = ruleKey(ev.host, ev.netns, ev.ref.nfTable ?? '', ev.ref.chain, ev.ref.row);
    const prev = taken.get(k) ?? final.get(k);
    if (prev) taken.set(k, { pkts: prev.pkts - 1, bytes: prev.bytes - ipLength(ev.packet) });
  }
  return { get: (k) => taken.get(k) ?? final.get(k) };
}

/** One row of `conntrack -L` at a step. */
export interface CtRowAt {
  /** the row in the table after the flow (`TableRef.row` of the events) */
  readonly row: number;
  readonly line: string;
}

/**
 * `conntrack -L` as it reads right after the step at simulated time `nowUs`: the entries
 * confirmed by then, each in the state it was in then (SYN_SENT [UNREPLIED], later SYN_RECV,
 * ESTABLISHED [ASSURED]).
 */
export function conntrackAt(t: NamespaceTables, nowUs: number): CtRowAt[] {
  const out: CtRowAt[] = [];
  t.conntrackVersions.forEach((c, row) => {
    let line: string | undefined;
    for (const v of c.versions) if (v.sinceUs <= nowUs) line = v.line;
    if (line !== undefined) out.push({ row, line });
  });
  return out;
}

/**
 * The connection the packet at `cursor` is creating in its namespace and that is not in the
 * table yet (conntrack confirms a new entry only once the packet has passed the last hook): the
 * entry as the packet carries it, as `conntrack -L` will print it.
 */
export function unconfirmedAt(events: readonly TraceEvent[], cursor: number, t: NamespaceTables): { entry: CtEntry; line: string } | undefined {
  const cur = events[cursor];
  if (!cur) return undefined;
  for (let i = cursor; i >= 0; i--) {
    const e = events[i]!;
    if (e.packetId !== cur.packetId) break;
    if (e.host !== t.host || e.netns !== t.netns || !e.conn) continue;
    if (e.conn.confirmed) return undefined;
    const row = t.conntrackVersions.find((c) => c.id === e.conn!.id);
    if (row?.versions[0] && row.versions[0].sinceUs <= cur.timeUs) return undefined;
    return { entry: e.conn, line: conntrackLine(e.conn) };
  }
  return undefined;
}

export interface TraversedRule {
  /** the event's index in the trace; -1 for rows tried without an event of their own */
  readonly index: number;
  readonly row: number;
  readonly text: string;
  readonly verdict: string;
  readonly matched: boolean;
  /** nftables: the set or map element whose lookup decided the verdict (`10.43.6.58 . tcp . 80 : goto service-…`) */
  readonly element?: string;
  /**
   * rows `row`…`lastRow` were evaluated before the next visited rule and did not match (iptables
   * tries a chain rule by rule: in a long KUBE-SERVICES this is where a packet's cost is)
   */
  readonly lastRow?: number;
}

export interface TraversedChain {
  readonly table: string;
  readonly chain: string;
  readonly rules: TraversedRule[];
}

/** IPVS's step at LOCAL_IN: the virtual server the packet hit and the real server it got. */
export interface IpvsStep {
  readonly index: number;
  /** the virtual server as `ipvsadm -Ln` prints it: `TCP  10.43.6.58:80 sh` */
  readonly virtualServer: string;
  readonly realServer: string;
}

export interface ChainTraversal {
  /** the event the view centres on: the cursor, or for a NAT step the rule that asked for it */
  readonly current: number;
  /** set when the walk ended in IPVS (kube-proxy ipvs mode: INPUT, then ip_vs_in) */
  readonly ipvs?: IpvsStep;
  readonly hook: string;
  readonly host: string;
  readonly netns: string;
  readonly chains: TraversedChain[];
}

/**
 * The netfilter walk at the cursor's hook so far: the run of rule/policy events of the same
 * packet at the same hook that ends at the cursor, grouped into the chains in visiting order
 * (PREROUTING → KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-…). Undefined off a rule event.
 */
export function chainTraversal(events: readonly TraceEvent[], cursor: number, tables?: readonly NamespaceTables[]): ChainTraversal | undefined {
  let at = cursor;
  // IPVS at LOCAL_IN (and the DNAT it did): the INPUT walk that let the packet in, then IPVS
  if (events[at]?.kind === 'nat' && events[at]?.ref?.table === 'ipvs' && events[at - 1]?.kind === 'ipvs') at--;
  const vs = events[at];
  if (vs?.kind === 'ipvs') {
    const ipvs: IpvsStep = { index: at, virtualServer: vs.ref?.text ?? '', realServer: vs.verdict ?? '' };
    const walk = chainTraversal(events, at - 1, tables);
    const sameNs = walk && walk.host === vs.host && walk.netns === vs.netns && events[at - 1]?.packetId === vs.packetId;
    return sameNs ? { ...walk, current: at, ipvs } : { current: at, hook: 'INPUT', host: vs.host, netns: vs.netns, chains: [], ipvs };
  }
  // a NAT step right after the rule that ordered it (DNAT, MASQUERADE) shows that rule's walk
  if (events[at]?.kind === 'nat' && (events[at - 1]?.kind === 'rule' || events[at - 1]?.kind === 'policy') && events[at - 1]?.hook === events[at]?.hook) at--;
  const cur = events[at];
  if (!cur || (cur.kind !== 'rule' && cur.kind !== 'policy') || !cur.hook) return undefined;
  const same = (e: TraceEvent) =>
    e.packetId === cur.packetId && e.host === cur.host && e.netns === cur.netns && e.hook === cur.hook;
  let start = at;
  while (start > 0) {
    const prev = events[start - 1]!;
    if ((prev.kind === 'rule' || prev.kind === 'policy' || prev.kind === 'nat') && (prev.kind === 'nat' || same(prev))) start--;
    else break;
  }
  const chains: TraversedChain[] = [];
  const nsTables = tables?.find((t) => t.host === cur.host && t.netns === cur.netns);
  for (let i = start; i <= at; i++) {
    const e = events[i]!;
    if (e.kind === 'nat') continue;
    const table = e.ref?.nfTable ?? e.ref?.nftTable ?? '';
    const chain = e.ref?.chain ?? e.hook ?? '';
    let last = chains[chains.length - 1];
    if (!last || last.chain !== chain || last.table !== table) {
      last = { table, chain, rules: [] };
      chains.push(last);
    }
    // the rows tried before this one (for a policy: every row after the last one visited)
    const from = e.ref?.fromRow;
    const rowTexts = chainRows(nsTables, e.ref?.table === 'nftables', table, chain);
    const upTo = e.kind === 'policy' ? rowTexts?.length : e.ref?.row;
    if (from !== undefined && upTo !== undefined && from < upTo) {
      const texts = rowTexts?.slice(from, upTo) ?? [];
      last.rules.push({ index: -1, row: from, lastRow: upTo - 1, text: texts.length === 1 ? texts[0]! : '', verdict: 'no match', matched: false });
    }
    last.rules.push({
      index: i,
      row: e.kind === 'policy' ? -1 : (e.ref?.row ?? -1),
      text: e.kind === 'policy' ? (/^policy/.test(e.verdict ?? '') ? (e.verdict ?? '') : `policy ${e.verdict ?? ''}`) : (e.ref?.text ?? ''),
      verdict: e.verdict ?? '',
      matched: e.kind === 'policy' || ruleMatched(e),
      element: e.ref?.element,
    });
  }
  return { current: at, hook: cur.hook, host: cur.host, netns: cur.netns, chains };
}

/** The rows of one chain as printed: an iptables chain's rules, or an nftables chain's. */
function chainRows(t: NamespaceTables | undefined, nft: boolean, table: string, chain: string): readonly string[] | undefined {
  if (!t) return undefined;
  if (nft) return t.nftables.find((o) => o.kind === 'chain' && o.table === table && o.name === chain)?.rows;
  return t.iptables.find((c) => c.table === table && c.name === chain)?.rules.map((r) => r.text);
}

/**
 * The table row an event consulted, as the real command prints it: the event's own text, else
 * the row it points at in its namespace's tables.
 */
export function refText(ev: TraceEvent, tables: readonly NamespaceTables[]): string | undefined {
  const ref = ev.ref;
  if (!ref) return undefined;
  if (ref.text) return ref.text;
  if (ref.row === undefined) return undefined;
  const t = tables.find((x) => x.host === ev.host && x.netns === ev.netns);
  if (!t) return undefined;
  switch (ref.table) {
    case 'route':
      return t.routes[ref.row];
    case 'neigh':
      return t.neigh[ref.row];
    case 'fdb':
    case 'bridge-fdb':
      return t.fdb[ref.row];
    case 'conntrack':
      return t.conntrack[ref.row];
    case 'ipvs':
      return t.ipvs[ref.row];
    case 'iptables':
      return t.iptables.find((c) => c.table === ref.nfTable && c.name === ref.chain)?.rules[ref.row]?.text;
    case 'nftables':
      return t.nftables.find((o) => o.kind === 'chain' && o.table === ref.nftTable && o.name === ref.chain)?.rows[ref.row];
  }
}

// ---------------------------------------------------------------------------------------------
// What changed between two traces

export interface TraceSnapshot {
  readonly modes: Required<Modes>;
  readonly flow: FlowSpec;
  readonly before: readonly string[];
  readonly preset?: string;
  readonly trace: Trace;
}

const GROUPS: readonly [string, readonly EventKind[]][] = [
  ['encap/decap', ['encap', 'decap']],
];

function signature(e: TraceEvent): string {
  return `${e.packetId}|${e.host}|${e.netns}|${e.kind}|${e.dev ?? ''}|${e.hook ?? ''}|${e.ref?.chain ?? ''}|${e.ref?.row ?? ''}`;
}

function flowText(f: FlowSpec): string {
  return `${f.kind} ${f.from} → ${f.to}${f.proto !== 'icmp' && f.kind !== 'ping' ? ` ${f.proto}` : ''}`;
}

/** What the user changed, in words: `vxlan → host-gw`, `ipvs → iptables`, `applied …`. */
export function describeCause(a: TraceSnapshot, b: TraceSnapshot): string {
  const parts: string[] = [];
  if (a.modes.backend !== b.modes.backend) parts.push(`${a.modes.backend} → ${b.modes.backend}`);
  if (a.modes.proxy !== b.modes.proxy) parts.push(`${a.modes.proxy} → ${b.modes.proxy}`);
  if (a.modes.scheduler !== b.modes.scheduler && b.modes.proxy === 'ipvs') parts.push(`scheduler ${a.modes.scheduler} → ${b.modes.scheduler}`);
  if ((a.preset ?? '') !== (b.preset ?? '')) parts.push(`cluster ${a.preset ?? 'default'} → ${b.preset ?? 'default'}`);
  if (flowText(a.flow) !== flowText(b.flow)) parts.push(`flow ${flowText(b.flow)}`);
  const added = b.before.filter((x) => !a.before.includes(x));
  const removed = a.before.filter((x) => !b.before.includes(x));
  for (const x of added) parts.push(`applied "${x}"`);
  for (const x of removed) parts.push(`removed "${x}"`);
  return parts.join(', ') || 'recomputed';
}

/**
 * One sentence saying how the new trace differs from the old, e.g.
 * `vxlan → host-gw: 9 events removed (encap/decap), path now leaves master via enp0s1`.
 */
export function describeChange(a: TraceSnapshot, b: TraceSnapshot): string {
  const cause = describeCause(a, b);
  const ea = a.trace.events;
  const eb = b.trace.events;
  const parts: string[] = [];
  const d = eb.length - ea.length;
  const countKinds = (evs: readonly TraceEvent[]) => {
    const m = new Map<EventKind, number>();
    for (const e of evs) m.set(e.kind, (m.get(e.kind) ?? 0) + 1);
    return m;
  };
  const ka = countKinds(ea);
  const kb = countKinds(eb);
  const kinds = (sign: 1 | -1) => {
    const names: string[] = [];
    const seen = new Set<EventKind>();
    for (const [label, group] of GROUPS) {
      if (group.some((k) => sign * ((kb.get(k) ?? 0) - (ka.get(k) ?? 0)) > 0)) {
        names.push(label);
        group.forEach((k) => seen.add(k));
      }
    }
    for (const k of new Set([...ka.keys(), ...kb.keys()])) {
      if (!seen.has(k) && sign * ((kb.get(k) ?? 0) - (ka.get(k) ?? 0)) > 0) names.push(k);
    }
    return names.length ? ` (${names.slice(0, 4).join(', ')})` : '';
  };
  if (d < 0) parts.push(`${-d} event${d === -1 ? '' : 's'} removed${kinds(-1)}`);
  else if (d > 0) parts.push(`${d} event${d === 1 ? '' : 's'} added${kinds(1)}`);
  else parts.push(`same number of events (${eb.length})`);

  let div = 0;
  while (div < ea.length && div < eb.length && signature(ea[div]!) === signature(eb[div]!)) div++;
  if (div < eb.length || div < ea.length) {
    const tx = eb.slice(div).find((e) => e.kind === 'tx' && e.netns === 'root' && e.dev);
    const txOld = ea.slice(div).find((e) => e.kind === 'tx' && e.netns === 'root' && e.dev);
    if (tx && (!txOld || txOld.dev !== tx.dev || txOld.host !== tx.host)) parts.push(`path now leaves ${tx.host} via ${tx.dev}`);
  }
  if (a.trace.verdict !== b.trace.verdict || a.trace.reason !== b.trace.reason) {
    if (b.trace.verdict === 'dropped') {
      // a traceroute's first probe always expires (that is how it works): the drop that matters is the last probe's
      const probe = b.trace.packets.filter((p) => p.role === 'probe').at(-1);
      const pid = probe?.packetId ?? 0;
      const why = probe?.verdict === 'dropped' ? (probe.reason ?? b.trace.reason) : b.trace.reason;
      const drop = eb.find((e) => e.kind === 'drop' && e.packetId === pid);
      parts.push(`now dropped${drop ? ` at ${drop.host}` : ''}${why ? `: ${why}` : ''}`);
    } else parts.push('now delivered');
  }
  return `${cause}: ${parts.join(', ')}`;
}
