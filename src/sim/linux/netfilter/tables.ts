import { TABLE_HOOKS } from './types.ts';
import type { Chain, Table, TableName, Tables } from './types.ts';

/**
 * A fresh set of netfilter tables as a newly booted node has them: each table with its built-in
 * chains (iptable_*.c valid_hooks, in hook order), every policy ACCEPT, no rules, no user chains.
 */
export function newTables(): Tables {
  return {
    raw: newTable('raw'),
    mangle: newTable('mangle'),
    nat: newTable('nat'),
    filter: newTable('filter'),
  };
}

function newTable(name: TableName): Table {
  const table: Table = new Map();
  for (const hook of TABLE_HOOKS[name]) {
    table.set(hook, { name: hook, policy: 'ACCEPT', policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
  }
  return table;
}

/** Table names in the order `iptables-nft-save` dumps them (nft.c `xtables_ipv4[]`). */
export const TABLE_NAMES: readonly TableName[] = ['mangle', 'raw', 'filter', 'nat'];

export function isTableName(s: string): s is TableName {
  return s === 'raw' || s === 'mangle' || s === 'nat' || s === 'filter';
}

/** Built-in chains are the ones with a policy (libiptc: `iptc_builtin`). */
export function isBuiltinChain(chain: Chain): boolean {
  return chain.policy !== undefined;
}

/**
 * How many rules in the table jump or go to `chainName` — the number `iptables -L` prints as
 * `(N references)` and the reason libiptc refuses `-X` on a chain still in use.
 */
export function chainReferences(table: Table, chainName: string): number {
  let refs = 0;
  for (const chain of table.values()) {
    for (const rule of chain.rules) {
      if (rule.target.t === 'jump' && rule.target.chain === chainName) refs++;
    }
  }
  return refs;
}

/** chainReferences for every chain at once (one pass), as `iptables -L` needs for each header. */
export function chainReferenceCounts(table: Table): Map<string, number> {
  const counts = new Map<string, number>();
  for (const chain of table.values()) {
    for (const rule of chain.rules) {
      if (rule.target.t === 'jump') counts.set(rule.target.chain, (counts.get(rule.target.chain) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Chains in the order iptables lists and saves them: built-ins in hook order, then user chains
 * sorted by name (libiptc keeps them sorted; iptables-nft sorts them too since "nft: cache: Sort
 * custom chains by name", 2020).
 */
export function orderedChains(table: Table): Chain[] {
  const builtins: Chain[] = [];
  const users: Chain[] = [];
  for (const chain of table.values()) (isBuiltinChain(chain) ? builtins : users).push(chain);
  users.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtins, ...users];
}

/**
 * A working copy for a transaction: new Maps and Chain objects, rule objects shared. Code that
 * changes counters during a transaction replaces the Rule or Chain object instead of writing
 * into the shared counter object, so an aborted transaction leaves the original untouched.
 */
export function stageTables(tables: Tables): Tables {
  const copy = (table: Table): Table => {
    const out: Table = new Map();
    for (const [name, chain] of table) out.set(name, { ...chain, rules: [...chain.rules] });
    return out;
  };
  return { raw: copy(tables.raw), mangle: copy(tables.mangle), nat: copy(tables.nat), filter: copy(tables.filter) };
}

/** Makes `tables` hold what `staged` holds, keeping the caller's Map objects. */
export function commitTables(tables: Tables, staged: Tables): void {
  for (const name of TABLE_NAMES) {
    const target = tables[name];
    target.clear();
    for (const [chainName, chain] of staged[name]) target.set(chainName, chain);
  }
}
