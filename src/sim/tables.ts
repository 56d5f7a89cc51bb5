import type { IptablesChainView, NamespaceTables } from './api-types.ts';
import { conntrackLines } from './cli/conntrack.ts';
import { fdbLineIndex, fdbTable, neighLines, routeLines } from './cli/ip.ts';
import { renderRuleRow } from './cli/iptables.ts';
import type { Cluster } from './k8s/cluster.ts';
import { chainReferences, orderedChains } from './linux/netfilter/tables.ts';
import type { NetNs } from './linux/netns.ts';
import type { TableName } from './linux/netfilter/types.ts';
import type { TraceEvent } from './trace/event.ts';

const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter'];

/** Every namespace's tables as the real commands print them, row for row. */
export function tablesOf(c: Cluster): NamespaceTables[] {
  return [...c.world.namespaces.values()].map((ns) => namespaceTables(ns));
}

function namespaceTables(ns: NetNs): NamespaceTables {
  const iptables: IptablesChainView[] = [];
  for (const table of TABLES) {
    const t = ns.nf[table];
    for (const chain of orderedChains(t)) {
      if (chain.policy !== undefined && chain.rules.length === 0 && ns.kind !== 'root') continue;
      iptables.push({
        table,
        name: chain.name,
        policy: chain.policy,
        references: chainReferences(t, chain.name),
        rules: chain.rules.map((r) => ({ pkts: r.counters.pkts, bytes: r.counters.bytes, text: renderRuleRow(r), target: targetName(r.target) })),
      });
    }
  }
  return {
    host: ns.host,
    netns: ns.name,
    routes: routeLines(ns),
    neigh: neighLines(ns),
    fdb: fdbTable(ns).lines,
    conntrack: conntrackLines(ns),
    iptables,
    ipvs: [],
  };
}

function targetName(t: { t: string; chain?: string }): string {
  return t.t === 'jump' ? t.chain ?? '' : t.t === 'none' ? '' : t.t;
}

/**
 * Trace events name FDB rows per device (the kernel's view); the tables print one `bridge fdb
 * show` list per namespace. This maps each event's row to its line in that list.
 */
export function withFdbLines(c: Cluster, events: readonly TraceEvent[]): TraceEvent[] {
  return events.map((e) => {
    const ref = e.ref;
    if (!ref || (ref.table !== 'fdb' && ref.table !== 'bridge-fdb') || ref.row === undefined || !e.dev) return e;
    const ns = c.world.ns(e.host, e.netns);
    if (!ns) return e;
    return { ...e, ref: { ...ref, row: fdbLineIndex(ns, ref.table, e.dev, ref.row) } };
  });
}
