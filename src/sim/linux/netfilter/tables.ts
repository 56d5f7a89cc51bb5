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

/**
 * The tables that exist in the kernel. With iptables-nft a table is made in nf_tables the first
 * time a command writes a chain, a rule or a policy into it; listing or zeroing never does. So a
 * pod's namespace has no tables at all, and `iptables-save` prints nothing there (checked on a
 * real kernel: `iptables -t raw -L`, `-F` and `-Z` leave `iptables-save` empty).
 */
const created = new WeakSet<Table>();

export function markTableCreated(table: Table): void {
  created.add(table);
}

export function isTableCreated(table: Table): boolean {
  return created.has(table);
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
 * Per staged table, the chains this transaction has already copied and so may change in place.
 * A Set (not a WeakSet) so that commitTable can hand the copies over; the staged Map is the key,
 * so the set goes when the transaction does.
 */
const ownedChains = new WeakMap<Table, Set<Chain>>();

/**
 * A working copy of one table for a transaction, copy-on-write: a new Map that shares the Chain
 * objects until writableChain copies one for a change. Staging is then O(chains) Map entries
 * rather than a copy of every rule list — a kube-proxy node holds tens of thousands of chains and
 * a sync stages its tables several times.
 *
 * Code that changes a staged table goes through writableChain / putChain and never writes into a
 * chain it got with `get`, and code that changes counters during a transaction replaces the Rule
 * or Chain object instead of writing into the shared counter object, so an aborted transaction
 * leaves the original untouched.
 */
export function stageTable(table: Table): Table {
  const out: Table = new Map(table);
  ownedChains.set(out, new Set());
  return out;
}

/** stageTable for all four tables. */
export function stageTables(tables: Tables): Tables {
  return {
    raw: stageTable(tables.raw),
    mangle: stageTable(tables.mangle),
    nat: stageTable(tables.nat),
    filter: stageTable(tables.filter),
  };
}

/**
 * The chain `name` of a staged table, ready to be changed in place: the first change in a
 * transaction replaces the shared chain with a copy of its own (policy, counters object and rule
 * objects still shared). Undefined when the table has no such chain.
 */
export function writableChain(table: Table, name: string): Chain | undefined {
  const chain = table.get(name);
  if (!chain) return undefined;
  const owned = ownedChains.get(table);
  if (owned?.has(chain)) return chain;
  const copy: Chain = { ...chain, rules: [...chain.rules] };
  table.set(name, copy);
  owned?.add(copy);
  return copy;
}

/** Puts a chain object made by this transaction (a new chain, or a changed copy) into a staged table. */
export function putChain(table: Table, chain: Chain): void {
  table.set(chain.name, chain);
  ownedChains.get(table)?.add(chain);
}

/** Makes `target` hold what `staged` holds, keeping the caller's Map object. */
export function commitTable(target: Table, staged: Table): void {
  if (created.has(staged)) created.add(target);
  if (target === staged) return;
  target.clear();
  for (const [chainName, chain] of staged) target.set(chainName, chain);
  const owned = ownedChains.get(staged);
  if (!owned) return;
  // committed into another staged table (a transaction inside a transaction): the copies are
  // now that transaction's own; the finished one may no longer change them in place
  const outer = ownedChains.get(target);
  if (outer) for (const chain of owned) outer.add(chain);
  owned.clear();
}

/** Makes `tables` hold what `staged` holds, keeping the caller's Map objects. */
export function commitTables(tables: Tables, staged: Tables): void {
  for (const name of TABLE_NAMES) commitTable(tables[name], staged[name]);
}
