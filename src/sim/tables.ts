import type { IptablesChainView, NamespaceTables, NftObjectView } from './api-types.ts';
import { conntrackLine, conntrackLines } from './cli/conntrack.ts';
import { fdbLineIndex, fdbTable, neighLines, routeLines, type FdbRowRef } from './cli/ip.ts';
import { renderRuleRow } from './cli/iptables.ts';
import { ipvsTableRows } from './cli/ipvs.ts';
import type { Cluster } from './k8s/cluster.ts';
import { chainReferenceCounts, orderedChains } from './linux/netfilter/tables.ts';
import type { NetNs } from './linux/netns.ts';
import { chainDeclaration, liveElements, printElement, printRule, setDeclaration } from './linux/nftables/print.ts';
import type { TableName } from './linux/netfilter/types.ts';
import type { TraceEvent } from './trace/event.ts';

const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter'];

/** Past this many network namespaces only those a flow crossed are sent (the rest: the terminal). */
export const ALL_TABLES_UP_TO = 150;

/**
 * Every namespace's tables as the real commands print them, row for row — or, for a large
 * cluster (hundreds of pods, thousands of rules per node), only the namespaces in `crossed`:
 * a 100-node cluster's full tables are ~170 MB, more than any view needs at once.
 */
export function tablesOf(c: Cluster, crossed?: ReadonlySet<string>): NamespaceTables[] {
  const all = [...c.world.namespaces.values()];
  const keep = crossed && all.length > ALL_TABLES_UP_TO ? all.filter((ns) => crossed.has(`${ns.host}/${ns.name}`)) : all;
  return keep.map((ns) => namespaceTables(ns, c.world.timeUs));
}

/** `nft list ruleset`, object by object, at `nowUs` (dynamic set elements may have expired). */
function nftObjects(ns: NetNs, nowUs: number): NftObjectView[] {
  const out: NftObjectView[] = [];
  for (const t of ns.nft.tables) {
    const table = `${t.family} ${t.name}`;
    for (const set of t.sets.values()) {
      if (set.anonymous) continue;
      out.push({ table, kind: set.dataType ? 'map' : 'set', name: set.name, decl: setDeclaration(set), rows: liveElements(set, nowUs).map((e) => printElement(set, e, nowUs)) });
    }
    for (const chain of t.chains.values()) out.push({ table, kind: 'chain', name: chain.name, decl: chainDeclaration(t, chain), rows: chain.rules.map((r) => printRule(t, r)) });
  }
  return out;
}

function namespaceTables(ns: NetNs, nowUs: number): NamespaceTables {
  const iptables: IptablesChainView[] = [];
  for (const table of TABLES) {
    const t = ns.nf[table];
    const refs = chainReferenceCounts(t);
    for (const chain of orderedChains(t)) {
      if (chain.policy !== undefined && chain.rules.length === 0 && ns.kind !== 'root') continue;
      iptables.push({
        table,
        name: chain.name,
        policy: chain.policy,
        references: refs.get(chain.name) ?? 0,
        rules: chain.rules.map((r) => ({ pkts: r.counters.pkts, bytes: r.counters.bytes, text: renderRuleRow(r), target: targetName(r.target) })),
      });
    }
  }
  const fdb = fdbTable(ns);
  const fdbEntry = (r: FdbRowRef) => {
    const dev = ns.dev(r.dev);
    return dev?.kind === 'bridge' ? dev.fdb[r.row] : undefined;
  };
  return {
    host: ns.host,
    netns: ns.name,
    routes: routeLines(ns),
    neigh: neighLines(ns),
    fdb: fdb.lines,
    conntrack: conntrackLines(ns),
    iptables,
    nftables: nftObjects(ns, nowUs),
    ipvs: ipvsTableRows(ns),
    since: {
      neigh: ns.neigh.entries.map((e) => e.createdUs ?? null),
      fdb: fdb.rows.map((r) => fdbEntry(r)?.createdUs ?? null),
      conntrack: ns.conntrack.connections.map((c) => c.createdUs ?? null),
    },
    conntrackVersions: ns.conntrack.connections.map((c) => ({ id: c.id, versions: c.versions.map((v) => ({ sinceUs: v.sinceUs, line: conntrackLine(v) })) })),
  };
}

function targetName(t: { t: string; chain?: string }): string {
  return t.t === 'jump' ? t.chain ?? '' : t.t === 'none' ? '' : t.t;
}

/**
 * Trace events name table rows the way the kernel holds them (FDB rows per device); the tables
 * print one list per namespace. This maps each event's row to its printed line and carries the
 * line's text, so the inspector can show the entry the packet used.
 */
export function withTableRows(c: Cluster, events: readonly TraceEvent[]): TraceEvent[] {
  const cache = new Map<string, { routes: readonly string[]; neigh: readonly string[]; fdb: readonly string[] }>();
  const linesOf = (ns: NetNs) => {
    const hit = cache.get(ns.id);
    if (hit) return hit;
    const l = { routes: routeLines(ns), neigh: neighLines(ns), fdb: fdbTable(ns).lines };
    cache.set(ns.id, l);
    return l;
  };
  return events.map((e) => {
    const ref = e.ref;
    if (!ref || ref.row === undefined || ref.text !== undefined) return e;
    const ns = c.world.ns(e.host, e.netns);
    if (!ns) return e;
    if (ref.table === 'route') return { ...e, ref: { ...ref, text: linesOf(ns).routes[ref.row]?.trimEnd() } };
    if (ref.table === 'neigh') return { ...e, ref: { ...ref, text: linesOf(ns).neigh[ref.row]?.trimEnd() } };
    if ((ref.table === 'fdb' || ref.table === 'bridge-fdb') && e.dev) {
      const row = fdbLineIndex(ns, ref.table, e.dev, ref.row);
      return { ...e, ref: { ...ref, row, text: linesOf(ns).fdb[row]?.trimEnd() } };
    }
    return e;
  });
}
