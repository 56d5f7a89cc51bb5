import { intToIp } from '../net/addr.ts';
import type { Prefix } from '../net/addr.ts';
import { chainReferenceCounts, isBuiltinChain, orderedChains, TABLE_NAMES } from '../linux/netfilter/tables.ts';
import {
  applyIptables,
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

/**
 * libxtables xtables_print_num: counters right-aligned, abbreviated K/M/G/T above 99999 unless
 * `-x`, with `(n + 500) / 1000` integer rounding at each step.
 */
export function formatCount(n: number, opts: { readonly exact?: boolean; readonly table?: boolean } = {}): string {
  const table = opts.table ?? true;
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
    case 'addrtype':
      return (
        ' ADDRTYPE match' +
        (m.srcType ? ` src-type ${m.srcNeg ? '!' : ''}${m.srcType}` : '') +
        (m.dstType ? ` dst-type ${m.dstNeg ? '!' : ''}${m.dstType}` : '')
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

/** print_rule_details … print_ipv4_addresses, then the matches and the target. */
function ruleRow(rule: Rule, fmt: RowFormat): string {
  const anyIface = fmt.numeric ? '*' : 'any';
  const iface = (m: { name: string; neg: boolean } | undefined): string => (m ? `${m.neg ? '!' : ''}${m.name}` : anyIface);
  const addr = (a: AddrMatch | undefined): string =>
    `${a?.neg ? '!' : ' '}${padEnd(addrText(a?.prefix ?? { net: 0, len: 0, mask: 0 }, fmt.numeric), 19)} `;
  let out = `${padEnd(targetName(rule.target), 9)} `;
  out += `${rule.proto?.neg ? '!' : ' '}${padEnd(rule.proto?.name ?? 'all', 4)} `;
  out += '-- '; // print_fragment: no -f in this model
  if (fmt.verbose) out += ` ${padEnd(iface(rule.inIface), 6)} ${padEnd(iface(rule.outIface), 6)} `;
  out += addr(rule.src) + addr(rule.dst);
  if (rule.target.t === 'jump' && rule.target.goto) out += '[goto] ';
  for (const m of rule.matches) out += printMatch(m, fmt.numeric);
  out += printTarget(rule.target);
  return out;
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

function header(refs: ReadonlyMap<string, number>, chain: Chain, o: ListOptions): string {
  const counts = (c: Counters): string =>
    ` ${formatCount(c.pkts, { exact: o.exact, table: false })}packets, ${formatCount(c.bytes, { exact: o.exact, table: false })}bytes`;
  const first =
    chain.policy !== undefined
      ? `Chain ${chain.name} (policy ${chain.policy}${o.verbose ? counts(chain.policyCounters) : ''})`
      : `Chain ${chain.name} (${refs.get(chain.name) ?? 0} references)`;
  let cols = o.lineNumbers ? `${padEnd('num', 4)} ` : '';
  if (o.verbose) cols += o.exact ? `${padStart('pkts', 8)} ${padStart('bytes', 10)} ` : `${padStart('pkts', 5)} ${padStart('bytes', 5)} `;
  cols += `${padEnd('target', 9)} `;
  cols += ' prot opt';
  if (o.verbose) cols += ` ${padEnd('in', 6)} ${padEnd('out', 6)} `;
  cols += ` ${padEnd('source', 19)} `;
  cols += ` ${padEnd('destination', 19)} `;
  return `${first}\n${cols}\n`;
}

/** `iptables [-t T] -L [CHAIN [N]] [-n] [-v] [-x] [--line-numbers]`. */
export function iptablesList(tables: Tables, o: ListOptions = {}): CliResult {
  const table = tables[o.table ?? 'filter'];
  const chains = orderedChains(table).filter((c) => o.chain === undefined || c.name === o.chain);
  if (chains.length === 0) return { ok: false, error: NO_CHAIN };
  const fmt: RowFormat = { numeric: o.numeric ?? false, verbose: o.verbose ?? false };
  const refs = chainReferenceCounts(table);
  const blocks = chains.map((chain) => {
    let out = o.rulenum === undefined ? header(refs, chain, o) : '';
    chain.rules.forEach((rule, i) => {
      if (o.rulenum !== undefined && o.rulenum !== i + 1) return;
      let row = o.lineNumbers ? `${padEnd(String(i + 1), 4)} ` : '';
      if (fmt.verbose) row += formatCount(rule.counters.pkts, { exact: o.exact }) + formatCount(rule.counters.bytes, { exact: o.exact });
      out += `${row}${ruleRow(rule, fmt)}\n`;
    });
    return out;
  });
  return { ok: true, output: blocks.join('\n') };
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
    case 'addrtype':
      return (
        (m.srcType ? `${m.srcNeg ? ' !' : ''} --src-type ${m.srcType}` : '') +
        (m.dstType ? `${m.dstNeg ? ' !' : ''} --dst-type ${m.dstType}` : '')
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
  let out = '';
  if (o.rulenum === undefined) {
    for (const c of chains) {
      const counters = o.counters ? ` -c ${c.policyCounters.pkts} ${c.policyCounters.bytes}` : '';
      out += isBuiltinChain(c) ? `-P ${c.name} ${c.policy ?? ''}${counters}\n` : `-N ${c.name}\n`;
    }
  }
  for (const c of chains) {
    c.rules.forEach((rule, i) => {
      if (o.rulenum === undefined || o.rulenum === i + 1) {
        out += ruleLine(c.name, rule, '', o.counters ? rule.counters : undefined);
      }
    });
  }
  return { ok: true, output: out };
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

/** `iptables-save [-c] [-t T]` (iptables-save.c do_output). */
export function iptablesSave(tables: Tables, o: SaveOptions = {}): string {
  let out = '';
  for (const name of o.table ? [o.table] : TABLE_NAMES) {
    const chains = orderedChains(tables[name]);
    if (o.stamp) out += `# Generated by iptables-save ${o.stamp.version} on ${o.stamp.date}\n`;
    out += `*${name}\n`;
    for (const c of chains) {
      // built-in policy counters are always printed; user chains are `- [0:0]`
      out += isBuiltinChain(c)
        ? `:${c.name} ${c.policy ?? ''} [${c.policyCounters.pkts}:${c.policyCounters.bytes}]\n`
        : `:${c.name} - [0:0]\n`;
    }
    for (const c of chains) {
      for (const rule of c.rules) {
        out += ruleLine(c.name, rule, o.counters ? `[${rule.counters.pkts}:${rule.counters.bytes}] ` : '');
      }
    }
    out += 'COMMIT\n';
    if (o.stamp) out += `# Completed on ${o.stamp.date}\n`;
  }
  return out;
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
