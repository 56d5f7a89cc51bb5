import { intToIp } from '../net/addr.ts';
import type { Prefix } from '../net/addr.ts';
import { chainReferenceCounts, isBuiltinChain, isTableCreated, isTableName, orderedChains, TABLE_NAMES } from '../linux/netfilter/tables.ts';
import {
  applyIptables,
  IPTABLES_VERSION,
  parseIptablesCommand,
  statisticProbabilityText,
} from '../linux/netfilter/syntax.ts';
import type {
  AddrMatch,
  Chain,
  Counters,
  Match,
  PortMatch,
  Rule,
  TableName,
  Tables,
  Target,
} from '../linux/netfilter/types.ts';

/**
 * `iptables -L`, `iptables -S` and `iptables-save`, printed from the kernel's rule structures
 * byte for byte as iptables prints them: the column layout of xshared.c print_header /
 * print_rule_details / print_ifaces / print_ipv4_addresses, the numbers of xtables_print_num, and
 * each extension's own print/save text (libxt_*.c). The model never stores rule text, so what a
 * user reads here is exactly what the packet path evaluates.
 */

export type CliResult = { readonly ok: true; readonly output: string } | { readonly ok: false; readonly error: string };

const NO_CHAIN = 'iptables: No chain/target/match by that name.';

// ---------------------------------------------------------------------------------------------
// printf helpers

const padEnd = (s: string, n: number): string => s.padEnd(n, ' ');
const padStart = (s: string, n: number): string => s.padStart(n, ' ');
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

const ZERO = `${padStart('0', 5)} `;
const ZERO_EXACT = `${padStart('0', 8)} `;

/**
 * libxtables xtables_print_num: counters right-aligned, abbreviated K/M/G/T above 99999 unless
 * `-x`, with `(n + 500) / 1000` integer rounding at each step.
 */
export function formatCount(n: number, opts: { readonly exact?: boolean; readonly table?: boolean } = {}): string {
  const table = opts.table ?? true;
  // most rules of a large table never matched: the zero columns are made once
  if (n === 0 && table) return opts.exact ? ZERO_EXACT : ZERO;
  if (opts.exact) return table ? `${padStart(String(n), 8)} ` : `${n} `;
  if (n <= 99999) return table ? `${padStart(String(n), 5)} ` : `${n} `;
  let v = n;
  for (const unit of ['K', 'M', 'G']) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999) return table ? `${padStart(String(v), 4)}${unit} ` : `${v}${unit} `;
  }
  v = Math.floor((v + 500) / 1000);
  return table ? `${padStart(String(v), 4)}T ` : `${v}T `;
}

// ---------------------------------------------------------------------------------------------
// -L: the human listing

/** xtables_ipmask_to_numeric: `/len`, nothing for /32. */
function addrText(prefix: Prefix, numeric: boolean): string {
  if (prefix.len === 0 && !numeric) return 'anywhere';
  return `${intToIp(prefix.net)}${prefix.len === 32 ? '' : `/${prefix.len}`}`;
}

/**
 * The /etc/services (netbase) names `iptables -L` without -n prints via getservbyport, for the
 * ports a cluster uses; any other port prints as its number, as an unnamed port does.
 */
const SERVICES: Readonly<Record<number, string>> = {
  22: 'ssh',
  53: 'domain',
  80: 'http',
  443: 'https',
  8080: 'http-alt',
};

function portText(port: number, numeric: boolean): string {
  return numeric ? String(port) : (SERVICES[port] ?? String(port));
}

/** libxt_tcp.c print_ports: ` dpt:80`, ` dpts:1:2`, with `!` after the colon. */
function printPorts(name: string, p: PortMatch | undefined, numeric: boolean): string {
  if (!p || (p.from === 0 && p.to === 0xffff && !p.neg)) return '';
  const inv = p.neg ? '!' : '';
  if (p.from === p.to) return ` ${name}:${inv}${portText(p.from, numeric)}`;
  return ` ${name}s:${inv}${portText(p.from, numeric)}:${portText(p.to, numeric)}`;
}

/** libipt_icmp.c icmp_codes names for the `-L` form (type-only entries). */
const ICMP_NAMES: Readonly<Record<number, string>> = {
  0: 'echo-reply',
  3: 'destination-unreachable',
  4: 'source-quench',
  5: 'redirect',
  8: 'echo-request',
  9: 'router-advertisement',
  10: 'router-solicitation',
  11: 'time-exceeded',
  12: 'parameter-problem',
  13: 'timestamp-request',
  14: 'timestamp-reply',
  17: 'address-mask-request',
  18: 'address-mask-reply',
};

/** Each match's `print` function (the text after the addresses in `iptables -L`). */
function printMatch(m: Match, numeric: boolean): string {
  switch (m.m) {
    case 'comment':
      return ` /* ${m.comment} */`;
    case 'tcp':
    case 'udp':
    case 'sctp':
      return ` ${m.m}${printPorts('spt', m.sport, numeric)}${printPorts('dpt', m.dport, numeric)}`;
    case 'icmp': {
      const type = m.icmpType ?? 0xff;
      if (!numeric) return ` icmp ${type === 0xff ? 'any' : (ICMP_NAMES[type] ?? `type ${type}`)}`;
      return ` icmptype ${type}`;
    }
    case 'statistic':
      return ` statistic mode random${m.neg ? ' !' : ''} probability ${statisticProbabilityText(m.probability)}`;
    case 'mark':
      return ` mark match${m.neg ? ' !' : ''} ${markText(m.mark, m.mask)}`;
    case 'multiport':
      return ` multiport ${m.dir}${m.neg ? ' !' : ''} ${multiportText(m.ports)}`;
    case 'addrtype':
      return (
        ' ADDRTYPE match' +
        (m.srcType ? ` src-type ${m.srcNeg ? '!' : ''}${m.srcType}` : '') +
        (m.dstType ? ` dst-type ${m.dstNeg ? '!' : ''}${m.dstType}` : '') +
        (m.limitIfaceOut ? ' limit-out' : '')
      );
    case 'conntrack':
      return `${m.neg ? ' !' : ''} ctstate ${m.ctstate.join(',')}`;
    case 'set':
      return `${m.neg ? ' !' : ''} match-set ${m.name} ${m.flags.join(',')}`;
    case 'recent':
      return (
        ` recent: ${m.mode === 'set' ? 'SET' : m.mode === 'rcheck' ? 'CHECK' : 'UPDATE'}` +
        (m.seconds !== undefined ? ` seconds: ${m.seconds}` : '') +
        (m.reap ? ' reap' : '') +
        ` name: ${m.name} side: ${m.rsource ? 'source' : 'dest'}`
      );
    case 'physdev':
      return ` PHYSDEV match${m.neg ? ' !' : ''} --physdev-is-in`;
  }
}

/** libxt_mark.c print_mark: the mask only when it is not all ones. */
function markText(value: number, mask: number): string {
  return mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
}

/** Each target's `print` function. */
function printTarget(t: Target): string {
  switch (t.t) {
    case 'REJECT':
      return ` reject-with ${t.rejectWith}`;
    case 'MARK':
      // libxt_MARK.c mark_tg_print picks the friendliest name for (value, mask)
      if (t.value === 0) return ` MARK and ${hex(~t.mask)}`;
      if (t.value === t.mask) return ` MARK or ${hex(t.value)}`;
      if (t.mask === 0) return ` MARK xor ${hex(t.value)}`;
      if (t.mask === 0xffffffff) return ` MARK set ${hex(t.value)}`;
      return ` MARK xset ${hex(t.value)}/${hex(t.mask)}`;
    case 'DNAT':
    case 'SNAT':
      return ` to:${natTo(t.toAddr, t.toPort)}${t.random ? ' random' : ''}`;
    case 'MASQUERADE':
      return `${t.toPorts !== undefined ? ` masq ports: ${t.toPorts}` : ''}${t.randomFully ? ' random-fully' : ''}`;
    default:
      return '';
  }
}

function natTo(addr: string, port: number | undefined): string {
  return port === undefined ? addr : `${addr}:${port}`;
}

/** The name in the target column: a chain, an extension, or nothing for a counting rule. */
function targetName(t: Target): string {
  switch (t.t) {
    case 'jump':
      return t.chain;
    case 'none':
      return '';
    default:
      return t.t;
  }
}

interface RowFormat {
  readonly numeric: boolean;
  readonly verbose: boolean;
}

/** print_ifaces: one interface column. */
function ifaceColumn(m: { readonly name: string; readonly neg: boolean } | undefined, numeric: boolean): string {
  if (!m) return numeric ? ANY_IFACE_NUMERIC : ANY_IFACE_NAMED;
  return padEnd(`${m.neg ? '!' : ''}${m.name}`, 6);
}

/** The interface column of a rule without `-i`/`-o` (most rules). */
const ANY_IFACE_NUMERIC = padEnd('*', 6);
const ANY_IFACE_NAMED = padEnd('any', 6);

/** print_ipv4_addresses: one address column. */
function addrColumn(a: AddrMatch | undefined, numeric: boolean): string {
  if (!a) return numeric ? ANYWHERE_NUMERIC : ANYWHERE_NAMED;
  return `${a.neg ? '!' : ' '}${padEnd(addrText(a.prefix, numeric), 19)} `;
}

/** The address column of a rule without `-s`/`-d` (most of a kube-proxy table's rules). */
const ANYWHERE_NUMERIC = ` ${padEnd(addrText({ net: 0, len: 0, mask: 0 }, true), 19)} `;
const ANYWHERE_NAMED = ` ${padEnd(addrText({ net: 0, len: 0, mask: 0 }, false), 19)} `;

/**
 * print_rule_details … print_ipv4_addresses, then the matches and the target. The row is joined
 * from its pieces once (a flat string, not a chain of concatenations): a listing holds every row
 * of a kube-proxy table until it is printed.
 */
function ruleRow(rule: Rule, fmt: RowFormat): string {
  const t = rule.target;
  const out = [
    `${padEnd(targetName(t), 9)} `,
    // proto_to_name(proto, FMT_NUMERIC): names only for xtables_chain_protos, else the number
    `${rule.proto?.neg ? '!' : ' '}${padEnd(rule.proto?.name === 'ipencap' ? '4' : (rule.proto?.name ?? 'all'), 4)} `,
    '-- ', // print_fragment: no -f in this model
  ];
  if (fmt.verbose) out.push(` ${ifaceColumn(rule.inIface, fmt.numeric)} ${ifaceColumn(rule.outIface, fmt.numeric)} `);
  out.push(addrColumn(rule.src, fmt.numeric), addrColumn(rule.dst, fmt.numeric));
  if (t.t === 'jump' && t.goto) out.push('[goto] ');
  for (const m of rule.matches) out.push(printMatch(m, fmt.numeric));
  out.push(printTarget(t));
  return out.join('');
}

/**
 * One rule as `iptables -nvL` prints it, from the target column on (no counters): what the UI
 * shows for a chain, e.g. `KUBE-SVC-7CWUT4JBGBRVUN2L  tcp  --  *      *       0.0.0.0/0
 * 10.43.6.58           /* default/nginx-test:80-80 cluster IP *\/ tcp dpt:80`.
 */
export function renderRuleRow(rule: Rule): string {
  return ruleRow(rule, { numeric: true, verbose: true });
}

export interface ListOptions {
  readonly table?: TableName;
  /** one chain; all chains when absent */
  readonly chain?: string;
  /** `-v`: counters and interfaces */
  readonly verbose?: boolean;
  /** `-n`: numbers instead of names */
  readonly numeric?: boolean;
  /** `-x`: exact counters instead of K/M/G */
  readonly exact?: boolean;
  readonly lineNumbers?: boolean;
  /** `-L CHAIN N`: only rule N, without the header */
  readonly rulenum?: number;
}

/** print_header's first line: the chain, its policy and counters or its reference count. */
function chainTitle(refs: ReadonlyMap<string, number>, chain: Chain, o: ListOptions): string {
  const counts = (c: Counters): string =>
    ` ${formatCount(c.pkts, { exact: o.exact, table: false })}packets, ${formatCount(c.bytes, { exact: o.exact, table: false })}bytes`;
  return chain.policy !== undefined
    ? `Chain ${chain.name} (policy ${chain.policy}${o.verbose ? counts(chain.policyCounters) : ''})`
    : `Chain ${chain.name} (${refs.get(chain.name) ?? 0} references)`;
}

/** print_header's column titles (the same for every chain of a listing). */
function columnTitles(o: ListOptions): string {
  let cols = o.lineNumbers ? `${padEnd('num', 4)} ` : '';
  if (o.verbose) cols += o.exact ? `${padStart('pkts', 8)} ${padStart('bytes', 10)} ` : `${padStart('pkts', 5)} ${padStart('bytes', 5)} `;
  cols += `${padEnd('target', 9)} `;
  cols += ' prot opt';
  if (o.verbose) cols += ` ${padEnd('in', 6)} ${padEnd('out', 6)} `;
  cols += ` ${padEnd('source', 19)} `;
  cols += ` ${padEnd('destination', 19)} `;
  return cols;
}

/** `iptables [-t T] -L [CHAIN [N]] [-n] [-v] [-x] [--line-numbers]`. */
export function iptablesList(tables: Tables, o: ListOptions = {}): CliResult {
  const table = tables[o.table ?? 'filter'];
  const chains = orderedChains(table).filter((c) => o.chain === undefined || c.name === o.chain);
  if (chains.length === 0) return { ok: false, error: NO_CHAIN };
  const fmt: RowFormat = { numeric: o.numeric ?? false, verbose: o.verbose ?? false };
  const counterFormat = { exact: o.exact };
  const refs = chainReferenceCounts(table);
  const cols = columnTitles(o);
  // every line into one list, joined once: a kube-proxy nat table lists a quarter of a million rows
  const out: string[] = [];
  chains.forEach((chain, k) => {
    if (k > 0) out.push('\n'); // a blank line between chains
    if (o.rulenum === undefined) out.push(chainTitle(refs, chain, o), '\n', cols, '\n');
    chain.rules.forEach((rule, i) => {
      if (o.rulenum !== undefined && o.rulenum !== i + 1) return;
      if (o.lineNumbers) out.push(`${padEnd(String(i + 1), 4)} `);
      if (fmt.verbose) out.push(formatCount(rule.counters.pkts, counterFormat), formatCount(rule.counters.bytes, counterFormat));
      out.push(ruleRow(rule, fmt), '\n');
    });
  });
  return { ok: true, output: out.join('') };
}

// ---------------------------------------------------------------------------------------------
// -S and iptables-save: the canonical saved form

/** libxtables xtables_save_string: bare if only [_-0-9a-zA-Z], else "…" with " \ ' escaped. */
export function saveString(value: string): string {
  if (/^[-_0-9a-zA-Z]+$/.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

function saveAddr(letter: string, a: AddrMatch | undefined): string {
  if (!a) return '';
  return `${a.neg ? ' !' : ''} -${letter} ${intToIp(a.prefix.net)}/${a.prefix.len}`;
}

function savePorts(name: string, p: PortMatch | undefined): string {
  if (!p || (p.from === 0 && p.to === 0xffff)) return '';
  return `${p.neg ? ' !' : ''} --${name} ${p.from === p.to ? p.from : `${p.from}:${p.to}`}`;
}

/** Each match's `save` function, after ` -m NAME`. */
function saveMatch(m: Match): string {
  switch (m.m) {
    case 'comment':
      return ` --comment ${saveString(m.comment)}`;
    case 'tcp':
    case 'udp':
    case 'sctp':
      return savePorts('sport', m.sport) + savePorts('dport', m.dport);
    case 'icmp':
      return ` --icmp-type ${m.icmpType === undefined ? 'any' : m.icmpType}`;
    case 'statistic':
      return ` --mode random${m.neg ? ' !' : ''} --probability ${statisticProbabilityText(m.probability)}`;
    case 'mark':
      return `${m.neg ? ' !' : ''} --mark ${markText(m.mark, m.mask)}`;
    case 'multiport':
      return `${m.neg ? ' !' : ''} --${m.dir} ${multiportText(m.ports)}`;
    case 'addrtype':
      return (
        (m.srcType ? `${m.srcNeg ? ' !' : ''} --src-type ${m.srcType}` : '') +
        (m.dstType ? `${m.dstNeg ? ' !' : ''} --dst-type ${m.dstType}` : '') +
        (m.limitIfaceOut ? ' --limit-iface-out' : '')
      );
    case 'conntrack':
      return `${m.neg ? ' !' : ''} --ctstate ${m.ctstate.join(',')}`;
    case 'set':
      return `${m.neg ? ' !' : ''} --match-set ${m.name} ${m.flags.join(',')}`;
    case 'recent':
      // libxt_recent.c recent_save; an all-ones --mask is left out (iptables ≥ 1.8.8)
      return (
        ` --${m.mode}` +
        (m.seconds !== undefined ? ` --seconds ${m.seconds}` : '') +
        (m.reap ? ' --reap' : '') +
        ` --name ${m.name}` +
        (m.rsource ? ' --rsource' : ' --rdest')
      );
    case 'physdev':
      return `${m.neg ? ' !' : ''} --physdev-is-in`;
  }
}

/** Each target's `save` function, after ` -j NAME`. */
function saveTarget(t: Target): string {
  switch (t.t) {
    case 'REJECT':
      return ` --reject-with ${t.rejectWith}`;
    case 'MARK':
      return ` --set-xmark ${hex(t.value)}/${hex(t.mask)}`;
    case 'DNAT':
      return ` --to-destination ${natTo(t.toAddr, t.toPort)}${t.random ? ' --random' : ''}`;
    case 'SNAT':
      return ` --to-source ${natTo(t.toAddr, t.toPort)}${t.random ? ' --random' : ''}`;
    case 'MASQUERADE':
      return `${t.toPorts !== undefined ? ` --to-ports ${t.toPorts}` : ''}${t.randomFully ? ' --random-fully' : ''}`;
    default:
      return '';
  }
}

/**
 * A rule in the saved form, without `-A CHAIN` (iptables.c print_rule4 / nft-ipv4.c
 * nft_ipv4_save_rule): addresses, interfaces, `-p`, each `-m name opts` in order, then `-j`/`-g`.
 * `setCounters` puts ` -c pkts bytes` before the target, as `iptables -S -v` does.
 */
export function formatRuleSpec(rule: Rule, setCounters?: Counters): string {
  let out = saveAddr('s', rule.src) + saveAddr('d', rule.dst);
  if (rule.inIface) out += `${rule.inIface.neg ? ' !' : ''} -i ${rule.inIface.name}`;
  if (rule.outIface) out += `${rule.outIface.neg ? ' !' : ''} -o ${rule.outIface.name}`;
  if (rule.proto) out += `${rule.proto.neg ? ' !' : ''} -p ${rule.proto.name}`;
  for (const m of rule.matches) out += ` -m ${m.m}${saveMatch(m)}`;
  if (setCounters) out += ` -c ${setCounters.pkts} ${setCounters.bytes}`;
  const t = rule.target;
  if (t.t === 'jump') out += ` -${t.goto ? 'g' : 'j'} ${t.chain}`;
  else if (t.t !== 'none') out += ` -j ${t.t}${saveTarget(t)}`;
  return out.trimStart();
}

function ruleLine(chain: string, rule: Rule, prefix = '', setCounters?: Counters): string {
  const spec = formatRuleSpec(rule, setCounters);
  return `${prefix}-A ${chain}${spec === '' ? '' : ` ${spec}`}\n`;
}

export interface ListRulesOptions {
  readonly table?: TableName;
  readonly chain?: string;
  /** `-S -v`: ` -c pkts bytes` on policies and rules */
  readonly counters?: boolean;
  readonly rulenum?: number;
}

/** `iptables [-t T] -S [CHAIN [N]] [-v]` (iptables.c list_rules). */
export function iptablesListRules(tables: Tables, o: ListRulesOptions = {}): CliResult {
  const table = tables[o.table ?? 'filter'];
  const chains = orderedChains(table).filter((c) => o.chain === undefined || c.name === o.chain);
  if (chains.length === 0) return { ok: false, error: NO_CHAIN };
  const out: string[] = [];
  if (o.rulenum === undefined) {
    for (const c of chains) {
      const counters = o.counters ? ` -c ${c.policyCounters.pkts} ${c.policyCounters.bytes}` : '';
      out.push(isBuiltinChain(c) ? `-P ${c.name} ${c.policy ?? ''}${counters}\n` : `-N ${c.name}\n`);
    }
  }
  for (const c of chains) {
    c.rules.forEach((rule, i) => {
      if (o.rulenum === undefined || o.rulenum === i + 1) {
        out.push(ruleLine(c.name, rule, '', o.counters ? rule.counters : undefined));
      }
    });
  }
  return { ok: true, output: out.join('') };
}

export interface SaveOptions {
  /** only this table; all four otherwise, in iptables-nft-save's order (mangle, raw, filter, nat) */
  readonly table?: TableName;
  /** `-c`: `[pkts:bytes]` in front of every rule */
  readonly counters?: boolean;
  /**
   * The `# Generated by …` / `# Completed on …` lines carry the wall-clock date, which the
   * simulation does not read: the caller passes it (and the version) or the lines are left out.
   */
  readonly stamp?: { readonly version: string; readonly date: string };
}

/**
 * `iptables-save [-c] [-t T]` (iptables-save.c do_output): every table that exists in nf_tables
 * (a named one even if it does not: iptables-nft prints its built-in chains all the same).
 */
export function iptablesSave(tables: Tables, o: SaveOptions = {}): string {
  // every line into one list, joined once (a kube-proxy table saves a quarter of a million rules)
  const out: string[] = [];
  for (const name of o.table ? [o.table] : TABLE_NAMES.filter((t) => isTableCreated(tables[t]))) {
    const chains = orderedChains(tables[name]);
    if (o.stamp) out.push(`# Generated by iptables-save ${o.stamp.version} on ${o.stamp.date}\n`);
    out.push(`*${name}\n`);
    for (const c of chains) {
      // built-in policy counters are always printed; user chains are `- [0:0]`
      out.push(
        isBuiltinChain(c)
          ? `:${c.name} ${c.policy ?? ''} [${c.policyCounters.pkts}:${c.policyCounters.bytes}]\n`
          : `:${c.name} - [0:0]\n`,
      );
    }
    for (const c of chains) {
      for (const rule of c.rules) {
        out.push(ruleLine(c.name, rule, o.counters ? `[${rule.counters.pkts}:${rule.counters.bytes}] ` : ''));
      }
    }
    out.push('COMMIT\n');
    if (o.stamp) out.push(`# Completed on ${o.stamp.date}\n`);
  }
  return out.join('');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) of a simulated time (UTC): `Thu Dec  3 11:44:55 2026`, the date iptables-save stamps. */
export function ctime(timeUs: number): string {
  const d = new Date(Math.floor(timeUs / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * `iptables-save [-c] [-t TABLE]` as typed in a terminal: getopt's messages for a bad option and
 * libiptc's for a table the kernel does not have (legacy iptables-save.c: "Cannot initialize").
 */
export function iptablesSaveCommand(tables: Tables, args: readonly string[], date?: string): CliResult {
  const manual = "Look at manual page `iptables-save.8' for more information.";
  let counters = false;
  let table: TableName | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--counters') counters = true;
    else if (a === '-t' || a === '--table') {
      const t = args[++i];
      if (t === undefined) return { ok: false, error: `iptables-save: option requires an argument -- 't'\n${manual}` };
      // iptables-nft-save (xtables-save.c): "Table `%s' does not exist"
      if (!isTableName(t)) return { ok: false, error: `Table \`${t}' does not exist` };
      table = t;
    } else return { ok: false, error: `iptables-save: ${a.startsWith('--') ? `unrecognized option '${a}'` : `invalid option -- '${a.slice(1, 2)}'`}\n${manual}` };
  }
  // the Generated/Completed stamps carry the date: the caller's simulated clock
  const stamp = date === undefined ? undefined : { version: IPTABLES_VERSION, date };
  return { ok: true, output: iptablesSave(tables, { counters, ...(stamp ? { stamp } : {}), ...(table ? { table } : {}) }) };
}

/**
 * The `iptables` command as a terminal runs it (arguments without the program name): listing
 * verbs print, everything else changes the tables through applyIptables. `changed` tells the
 * caller to record the command as a state mutation.
 */
export function runIptables(
  tables: Tables,
  args: readonly string[],
): { readonly ok: true; readonly output: string; readonly changed: boolean } | { readonly ok: false; readonly error: string } {
  const parsed = parseIptablesCommand(args);
  if (!parsed.ok) return parsed;
  const c = parsed.command;
  if (c.verb === 'L' || c.verb === 'S') {
    const listed =
      c.verb === 'L'
        ? iptablesList(tables, {
            table: c.table,
            ...(c.chain !== undefined && { chain: c.chain }),
            ...(c.rulenum !== undefined && { rulenum: c.rulenum }),
            verbose: c.verbose,
            numeric: c.numeric,
            exact: c.exact,
            lineNumbers: c.lineNumbers,
          })
        : iptablesListRules(tables, {
            table: c.table,
            ...(c.chain !== undefined && { chain: c.chain }),
            ...(c.rulenum !== undefined && { rulenum: c.rulenum }),
            counters: c.verbose,
          });
    return listed.ok ? { ...listed, changed: false } : listed;
  }
  const applied = applyIptables(tables, args);
  return applied.ok ? { ok: true, output: '', changed: true } : { ok: false, error: applied.error };
}

/** libxt_multiport.c print_ports: `a,b:c` */
function multiportText(ports: readonly { from: number; to: number }[]): string {
  return ports.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(',');
}
