import { printConst, printTime, sortElements } from './datatypes.ts';
import type { NftRuleset } from './ruleset.ts';
import type { NftChain, NftElement, NftFamily, NftRhs, NftRule, NftSelector, NftSet, NftStmt, NftTable, NftType, NftVerdict } from './types.ts';

// nft's output (src/rule.c table_print / chain_print / set_print, src/statement.c, src/expression.c):
// every `nft list …` is printed from the ruleset the packet path evaluates.

export interface ListOptions {
  /** `-a`: `# handle N` after tables, chains, sets and rules */
  readonly handles?: boolean;
  /** now, in the simulated µs of the element timestamps, for `expires` */
  readonly nowUs?: number;
}

/** The datatypes a selector yields, one per concatenated component. */
export function selectorTypes(sel: NftSelector): NftType[] {
  switch (sel.k) {
    case 'payload':
      if (sel.field === 'saddr' || sel.field === 'daddr') return [sel.proto === 'ip6' ? 'ipv6_addr' : 'ipv4_addr'];
      if (sel.field === 'protocol') return ['inet_proto'];
      if (sel.field === 'type') return ['integer'];
      return ['inet_service'];
    case 'meta':
      return [sel.key === 'l4proto' ? 'inet_proto' : sel.key === 'mark' ? 'mark' : sel.key === 'nfproto' ? 'integer' : 'ifname'];
    case 'ct':
      return ['ct_state'];
    case 'fib':
      return ['fib_addrtype'];
    case 'numgen':
      return ['integer'];
    case 'concat':
      return sel.parts.flatMap(selectorTypes);
    case 'binop':
      return selectorTypes(sel.left);
  }
}

export function printSelector(sel: NftSelector): string {
  switch (sel.k) {
    case 'payload':
      return `${sel.proto} ${sel.field}`;
    case 'meta':
      return sel.key === 'iifname' || sel.key === 'oifname' ? sel.key : `meta ${sel.key}`;
    case 'ct':
      return `ct ${sel.key}`;
    case 'fib':
      return `fib ${sel.addr} type`;
    case 'numgen':
      return `numgen ${sel.mode} mod ${sel.mod}${sel.offset ? ` offset ${sel.offset}` : ''}`;
    case 'concat':
      return sel.parts.map(printSelector).join(' . ');
    case 'binop':
      return `${printSelector(sel.left)} ${sel.op} ${printConst(selectorTypes(sel.left)[0]!, sel.right)}`;
  }
}

export function printVerdict(v: NftVerdict): string {
  return v.k === 'jump' || v.k === 'goto' ? `${v.k} ${v.chain}` : v.k;
}

/** One element as `elements = { … }` prints it: key, timeout, expires, comment, then `: data`. */
export function printElement(set: Pick<NftSet, 'keyType' | 'timeoutMs'>, e: NftElement, nowUs?: number): string {
  let s = e.key.map((c, i) => printConst(set.keyType[i] ?? 'integer', c)).join(' . ');
  if (e.timeoutMs !== undefined && e.timeoutMs !== set.timeoutMs) s += ` timeout ${printTime(e.timeoutMs)}`;
  if (e.expiresUs !== undefined && nowUs !== undefined) s += ` expires ${printTime(Math.max(0, Math.floor((e.expiresUs - nowUs) / 1000)))}`;
  if (e.comment !== undefined) s += ` comment "${e.comment}"`;
  if (e.data) s += ` : ${printVerdict(e.data)}`;
  return s;
}

export function sortedElements(set: NftSet): NftElement[] {
  return sortElements(set.keyType, set.elements.values());
}

/** `{ a, b }` of an anonymous set or map inside a rule: always on one line. */
function anonymous(table: NftTable, name: string): string {
  const set = table.sets.get(name);
  if (!set) return '{ }';
  return `{ ${sortedElements(set).map((e) => printElement(set, e)).join(', ')} }`;
}

function printRhs(table: NftTable, types: readonly NftType[], rhs: NftRhs): string {
  switch (rhs.k) {
    case 'const':
      return printConst(types[0]!, rhs.value);
    case 'set':
      return rhs.name.startsWith('__') ? anonymous(table, rhs.name) : `@${rhs.name}`;
    case 'anon':
      return `{ ${rhs.elems.map((c) => printConst(types[0]!, c)).join(', ')} }`;
  }
}

export function printStmt(table: NftTable, s: NftStmt): string {
  switch (s.k) {
    case 'match': {
      const types = selectorTypes(s.left);
      // relational_expr_print: `==` shows for a binop left side and for flag types written with it
      const showEq = s.left.k === 'binop' || (s.op === '==' && types[0] === 'ct_state');
      const op = s.op === 'implicit' || (s.op === '==' && !showEq) ? '' : `${s.op} `;
      return `${printSelector(s.left)} ${op}${printRhs(table, types, s.right)}`;
    }
    case 'verdict':
      return printVerdict(s.v);
    case 'vmap':
      return `${printSelector(s.key)} vmap ${s.map.startsWith('__') ? anonymous(table, s.map) : `@${s.map}`}`;
    case 'counter':
      return `counter packets ${s.packets} bytes ${s.bytes}`;
    case 'reject':
      if (!s.with || (s.with.family === 'icmp' && s.with.type === 'port-unreachable')) return 'reject';
      return s.with.family === 'tcp' ? 'reject with tcp reset' : `reject with ${s.with.family} ${s.with.type}`;
    case 'mark-set':
      return `meta mark set ${'k' in s.value ? printSelector(s.value) : printConst('mark', s.value)}`;
    case 'nat': {
      const addr = s.addr ? printConst('ipv4_addr', s.addr) : '';
      const port = s.port !== undefined ? `:${s.port}` : '';
      return `${s.type} to ${addr}${port}${s.flags.length ? ` ${s.flags.join(',')}` : ''}`;
    }
    case 'masquerade':
      return `masquerade${s.flags.length ? ` ${s.flags.join(',')}` : ''}`;
    case 'set-update':
      return `${s.op} @${s.set} { ${printSelector(s.key)} }`;
  }
}

/** A rule as `nft list` prints it (without the `# handle`). */
export function printRule(table: NftTable, rule: NftRule): string {
  const body = rule.stmts.map((s) => printStmt(table, s)).join(' ');
  return rule.comment !== undefined ? `${body} comment "${rule.comment}"` : body;
}

/** prio2str: a priority near a standard one prints by name (`dstnat - 10`), if the hook allows it. */
export function printPriority(family: NftFamily, hook: string, prio: number): string {
  const std: readonly (readonly [number, string])[] = [
    [-300, 'raw'],
    [-150, 'mangle'],
    [-100, 'dstnat'],
    [0, 'filter'],
    [50, 'security'],
    [100, 'srcnat'],
  ];
  if (family === 'bridge' || family === 'netdev') return String(prio);
  for (const [value, name] of std) {
    if (Math.abs(prio - value) > 10) continue;
    if ((name === 'dstnat' && hook !== 'prerouting') || (name === 'srcnat' && hook !== 'postrouting')) break;
    const off = prio - value;
    return off > 0 ? `${name} + ${off}` : off < 0 ? `${name} - ${-off}` : name;
  }
  return String(prio);
}

const handle = (o: ListOptions, h: number): string => (o.handles ? ` # handle ${h}` : '');

/** A chain's declaration lines, as `nft list` prints them under `chain NAME {`. */
export function chainDeclaration(table: NftTable, chain: NftChain): string[] {
  const out: string[] = [];
  if (chain.comment !== undefined) out.push(`comment "${chain.comment}"`);
  const b = chain.base;
  if (b) out.push(`type ${b.type} hook ${b.hook} priority ${printPriority(table.family, b.hook, b.priority)}; policy ${b.policy};`);
  return out;
}

function chainText(table: NftTable, chain: NftChain, o: ListOptions, rules: boolean): string {
  let s = `\tchain ${chain.name} {${handle(o, chain.handle)}\n`;
  for (const d of chainDeclaration(table, chain)) s += `\t\t${d}\n`;
  if (rules) for (const r of chain.rules) s += `\t\t${printRule(table, r)}${handle(o, r.handle)}\n`;
  return `${s}\t}\n`;
}

/** calculate_delim: how many elements a line holds before `,\n\t\t\t     ` (by the key's datatype). */
function perLine(set: NftSet): number {
  if (set.keyType.length > 1) return 1;
  switch (set.keyType[0]) {
    case 'inet_proto':
    case 'inet_service':
    case 'mark':
      return 5;
    case 'ipv4_addr':
    case 'ipv6_addr':
    case 'ct_state':
    case 'ifname':
      return 2;
    default:
      return 1;
  }
}

const FLAG_ORDER = ['constant', 'dynamic', 'interval', 'timeout'];

/** A set's or map's declaration lines (type, size, flags, timeout, comment), without its elements. */
export function setDeclaration(set: NftSet): string[] {
  const out = [`type ${set.keyType.join(' . ')}${set.dataType ? ` : ${set.dataType}` : ''}`];
  if (set.size !== undefined) out.push(`size ${set.size}`);
  const flags = FLAG_ORDER.filter((f) => set.flags.includes(f));
  if (flags.length) out.push(`flags ${flags.join(',')}`);
  if (set.timeoutMs !== undefined) out.push(`timeout ${printTime(set.timeoutMs)}`);
  if (set.comment !== undefined) out.push(`comment "${set.comment}"`);
  return out;
}

/** The elements a listing shows at `nowUs`: sorted as nft sorts them, expired ones gone. */
export function liveElements(set: NftSet, nowUs: number | undefined): NftElement[] {
  return sortedElements(set).filter((e) => e.expiresUs === undefined || nowUs === undefined || e.expiresUs > nowUs);
}

function setText(set: NftSet, o: ListOptions): string {
  const kind = set.dataType ? 'map' : 'set';
  let s = `\t${kind} ${set.name} {${handle(o, set.handle)}\n`;
  for (const d of setDeclaration(set)) s += `\t\t${d}\n`;
  const live = liveElements(set, o.nowUs);
  if (live.length) {
    const n = perLine(set);
    const parts = live.map((e, i) => `${printElement(set, e, o.nowUs)}${i === live.length - 1 ? '' : (i + 1) % n === 0 ? ',\n\t\t\t     ' : ', '}`);
    s += `\t\telements = { ${parts.join('')} }\n`;
  }
  return `${s}\t}\n`;
}

function tableHeader(table: NftTable, o: ListOptions): string {
  return `table ${table.family} ${table.name} {${handle(o, table.handle)}\n`;
}

/** table_print: the declaration, then sets and chains in creation order, a blank line between them. */
export function printTable(table: NftTable, o: ListOptions = {}): string {
  let s = tableHeader(table, o);
  if (table.comment !== undefined) s += `\tcomment "${table.comment}"\n`;
  let delim = '';
  for (const set of table.sets.values()) {
    if (set.anonymous) continue;
    s += delim + setText(set, o);
    delim = '\n';
  }
  for (const chain of table.chains.values()) {
    s += delim + chainText(table, chain, o, true);
    delim = '\n';
  }
  return `${s}}\n`;
}

export function printRuleset(rs: NftRuleset, family: NftFamily | undefined, o: ListOptions = {}): string {
  return rs.tables.filter((t) => !family || t.family === family).map((t) => printTable(t, o)).join('');
}

/** `nft list chain`: the chain inside its table's braces (no table declaration). */
export function printChain(table: NftTable, chain: NftChain, o: ListOptions = {}): string {
  return `${tableHeader(table, o)}${chainText(table, chain, o, true)}}\n`;
}

/** `nft list set|map`. */
export function printSet(table: NftTable, set: NftSet, o: ListOptions = {}): string {
  return `${tableHeader(table, o)}${setText(set, o)}}\n`;
}

/** `nft list tables`. */
export function printTables(rs: NftRuleset, family?: NftFamily): string {
  return rs.tables.filter((t) => !family || t.family === family).map((t) => `table ${t.family} ${t.name}\n`).join('');
}

/** `nft list chains|sets|maps`: every table's objects of one kind, declarations only, no blank lines. */
export function printObjects(rs: NftRuleset, what: 'chains' | 'sets' | 'maps', family: NftFamily | undefined, o: ListOptions = {}): string {
  let s = '';
  for (const table of rs.tables) {
    if (family && table.family !== family) continue;
    let body = '';
    if (what === 'chains') for (const c of table.chains.values()) body += chainText(table, c, o, false);
    else for (const set of table.sets.values()) if (!set.anonymous && !!set.dataType === (what === 'maps')) body += setText(set, o);
    s += `${tableHeader(table, o)}${body}}\n`;
  }
  return s;
}

