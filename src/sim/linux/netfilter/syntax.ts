import { ipToInt, isIpv4, prefixMask } from '../../net/addr.ts';
import type { Prefix } from '../../net/addr.ts';
import {
  chainReferenceCounts,
  chainReferences,
  commitTable,
  commitTables,
  markTableCreated,
  isBuiltinChain,
  isTableName,
  putChain,
  stageTable,
  stageTables,
  writableChain,
} from './tables.ts';
import type {
  AddrMatch,
  AddrType,
  Chain,
  CtState,
  IfaceMatch,
  Match,
  PortMatch,
  Rule,
  Table,
  TableName,
  Tables,
  Target,
} from './types.ts';

/**
 * The iptables language: the command line (`iptables -t nat -A …`) and iptables-restore input
 * parsed into the kernel's rule structures (types.ts), with the checks and error texts of
 * iptables itself (iptables/xshared.c do_parse, the libxt_* option parsers, libiptc's
 * TC_STRERROR). Printing lives in cli/iptables.ts; both sides meet in the Rule structure.
 */

/** iptables' own stderr text, and the argument (or restore line) at fault when there is one. */
export interface IptablesFailure {
  readonly ok: false;
  readonly error: string;
  readonly arg?: string;
}

/** What every change to the tables returns: nothing on success, iptables' own message on error. */
export type IptablesResult = { readonly ok: true } | IptablesFailure;

/** A parsed rule specification, or why iptables would refuse it. */
export type RuleSpecResult = { readonly ok: true; readonly rule: Rule } | IptablesFailure;

/** The version string iptables prints in front of parameter errors (xtables_error → exit_error). */
export const IPTABLES_VERSION = 'v1.8.7 (nf_tables)';

/**
 * Internal: parse and apply code throws this; every exported function turns it into a value.
 * Not an Error: kube-proxy's and flannel's `iptables -C` probes fail on every node of a cluster,
 * and capturing a stack trace for each cost a tenth of a 1,000-node build.
 */
class IptablesError {
  constructor(
    readonly kind: 'param' | 'kernel' | 'plain',
    readonly message: string,
    readonly arg?: string,
  ) {}
}

/** xtables_error(PARAMETER_PROBLEM, …): a bad command line, found before touching the kernel. */
function paramError(message: string, arg?: string): IptablesError {
  return new IptablesError('param', message, arg);
}

/** libiptc refused the change (TC_STRERROR text, printed as `iptables: <text>.`). */
function kernelError(message: string, arg?: string): IptablesError {
  return new IptablesError('kernel', message, arg);
}

/** A message the program prints as is (iptables-restore's own fprintf lines). */
function plainError(message: string, arg?: string): IptablesError {
  return new IptablesError('plain', message, arg);
}

/** iptables.c main: EINVAL from the kernel gets a hint to read dmesg. */
const EINVAL_TEXT = "Invalid argument. Run `dmesg' for more information";

function toFailure(e: unknown, prog: string, line?: number): IptablesFailure {
  if (!(e instanceof IptablesError)) throw e;
  const arg = e.arg === undefined ? {} : { arg: e.arg };
  if (e.kind === 'plain') return { ok: false, error: e.message, ...arg };
  if (e.kind === 'kernel') {
    // iptables-nft-restore names the failing line and then the reason
    const error = line === undefined ? `${prog}: ${e.message}.` : `${prog}: line ${line} failed: ${e.message}.`;
    return { ok: false, error, ...arg };
  }
  // xshared.c exit_tryhelp: the error, the restore line if any, then the hint
  const at = line === undefined ? '' : `Error occurred at line: ${line}\n`;
  return {
    ok: false,
    error: `${prog} ${IPTABLES_VERSION}: ${e.message}\n${at}Try \`${prog} -h' or '${prog} --help' for more information.`,
    ...arg,
  };
}

/** A lookup that ignores Object.prototype (`--constructor` is not an option). */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Numbers as libxtables parses and prints them

/** xtables_strtoui with base 0: decimal, 0x hex or 0 octal, within [min, max]. */
function strtoui(s: string, min: number, max: number): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) n = parseInt(s, 8);
  else if (/^\d+$/.test(s)) n = Number(s);
  else return undefined;
  return n >= min && n <= max ? n : undefined;
}

/**
 * `printf("%.Nf", x)` exactly as glibc and Go print it: the double's exact binary value rounded
 * half-to-even. (`Number.prototype.toFixed` rounds ties up, which differs at e.g. 1/4096.)
 */
export function printfFixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`printfFixed: ${x} is not a finite non-negative number`);
  let mantissa = x;
  let exp = 0n;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2; // exact: doubling a double only changes its exponent
    exp++;
  }
  const num = BigInt(mantissa) * 10n ** BigInt(digits);
  const den = 1n << exp;
  let q = num / den;
  const twiceRem = (num % den) * 2n;
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q++;
  const text = q.toString().padStart(digits + 1, '0');
  return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** libxt_statistic.c parse: `info->u.random.probability = lround(0x80000000 * p)`. */
export function statisticProbability(p: number): number {
  return Math.round(0x80000000 * p); // p ≥ 0, so Math.round is lround's half-away-from-zero
}

/** statisticProbabilityText's answers: a kube-proxy table repeats a few probabilities thousands of times. */
const probabilityTexts = new Map<number, string>();

/** libxt_statistic.c print/save: `%.11f` of `1.0 * probability / 0x80000000`. */
export function statisticProbabilityText(stored: number): string {
  let text = probabilityTexts.get(stored);
  if (text === undefined) {
    text = printfFixed(stored / 0x80000000, 11);
    // the bound only guards against a caller printing every possible value
    if (probabilityTexts.size >= 4096) probabilityTexts.clear();
    probabilityTexts.set(stored, text);
  }
  return text;
}

/** XTTYPE_MARKMASK32: `value[/mask]`, mask defaulting to all ones. */
function parseMarkMask(ext: string, opt: string, s: string): { value: number; mask: number } {
  const [v, m, extra] = s.split('/');
  const value = v === undefined ? undefined : strtoui(v, 0, 0xffffffff);
  const mask = m === undefined ? 0xffffffff : strtoui(m, 0, 0xffffffff);
  if (value === undefined || mask === undefined || extra !== undefined) {
    throw paramError(`${ext}: bad mark value for option "--${opt}", or out of range.`, s);
  }
  return { value, mask };
}

function parseU32(ext: string, opt: string, s: string, min = 0): number {
  const n = strtoui(s, min, 0xffffffff);
  if (n === undefined) throw paramError(`${ext}: bad value for option "--${opt}", or out of range (${min}-4294967295).`, s);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Addresses, interfaces, protocols, ports (xtables_ipparse_any, xtables_parse_interface, …)

/** inet_aton's forms, which xtables_ipparse_any accepts: `a.b.c.d`, `a.b.c`, `a.b`, `a` (so `0/0`). */
function inetAton(s: string): number | undefined {
  if (isIpv4(s)) return ipToInt(s); // the common case, on kube-proxy's hot path
  if (!/^\d+(\.\d+){0,3}$/.test(s)) return undefined;
  const parts = s.split('.').map(Number);
  const last = parts.pop()!;
  if (parts.some((p) => p > 255) || last >= 2 ** (8 * (4 - parts.length))) return undefined;
  let n = 0;
  for (const p of parts) n = n * 256 + p;
  return n * 2 ** (8 * (4 - parts.length)) + last;
}

function parseAddress(s: string): Prefix {
  const slash = s.indexOf('/');
  const host = slash < 0 ? s : s.slice(0, slash);
  const maskText = slash < 0 ? undefined : s.slice(slash + 1);
  const addr = inetAton(host);
  if (addr === undefined) throw paramError(`host/network \`${host}' not found`, s);
  let len = 32;
  if (maskText !== undefined) {
    if (/^\d{1,2}$/.test(maskText) && Number(maskText) <= 32) len = Number(maskText);
    else if (isIpv4(maskText)) {
      const m = ipToInt(maskText);
      const found = [...Array(33).keys()].find((l) => prefixMask(l) === m);
      if (found === undefined) throw paramError(`invalid mask \`${maskText}' specified`, s);
      len = found;
    } else throw paramError(`invalid mask \`${maskText}' specified`, s);
  }
  const mask = prefixMask(len);
  return { net: (addr & mask) >>> 0, len, mask };
}

/** `-s`/`-d`: a /0 that is not negated matches everything, so the kernel stores no address (iptables-save prints none). */
function addrMatch(value: string, neg: boolean): AddrMatch | undefined {
  const prefix = parseAddress(value);
  return prefix.len === 0 && !neg ? undefined : { prefix, neg };
}

function parseIface(s: string, neg: boolean): IfaceMatch {
  // xtables_parse_interface: IFNAMSIZ is 16 including the NUL
  if (s.length > 15) throw paramError(`interface name \`${s}' must be shorter than IFNAMSIZ (15)`, s);
  return { name: s, neg };
}

type ProtoName = 'tcp' | 'udp' | 'icmp' | 'sctp' | 'ipencap';
const PROTO_NUMBERS: Readonly<Record<string, ProtoName | 'all'>> = {
  '0': 'all',
  '1': 'icmp',
  // /etc/protocols: "ipencap 4 IP-ENCAP # IP encapsulated in IP"
  '4': 'ipencap',
  ipencap: 'ipencap',
  'ip-encap': 'ipencap',
  '6': 'tcp',
  '17': 'udp',
  '132': 'sctp',
  all: 'all',
  icmp: 'icmp',
  tcp: 'tcp',
  udp: 'udp',
  sctp: 'sctp',
};

function parsePort(s: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= 0 && n <= 65535)) throw paramError(`invalid port/service \`${s}' specified`, s);
  return n;
}

/** libxt_tcp.c parse_tcp_ports: `port`, `a:b`, `:b`, `a:`. */
function parsePortRange(s: string, neg: boolean): PortMatch {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = parsePort(s);
    return { from: p, to: p, neg };
  }
  const a = s.slice(0, colon);
  const b = s.slice(colon + 1);
  const from = a === '' ? 0 : parsePort(a);
  const to = b === '' ? 0xffff : parsePort(b);
  if (from > to) throw paramError('invalid portrange (min > max)', s);
  return { from, to, neg };
}

// ---------------------------------------------------------------------------------------------
// Extensions: each match (-m) and target (-j) owns its options, as the libxt_* modules do

interface OptionDef {
  /** how many arguments follow the option */
  readonly args: 0 | 1 | 2;
  /** `! --opt` allowed (XTOPT_INVERT) */
  readonly invert?: boolean;
}

interface BuildContext {
  readonly proto: ProtoName | undefined;
}

interface Extension<T> {
  readonly name: string;
  readonly opts: Readonly<Record<string, OptionDef>>;
  set(opt: string, args: readonly string[], invert: boolean): void;
  build(ctx: BuildContext): T;
}

/** xtables_options_fcheck / XTOPT excl: the shared bookkeeping of x6 option parsing. */
function optionTracker(ext: string) {
  const seen = new Set<string>();
  return {
    once(opt: string): void {
      if (seen.has(opt)) throw paramError(`${ext}: option "--${opt}" can only be used once.`, `--${opt}`);
      seen.add(opt);
    },
    exclusive(opt: string, group: readonly string[]): void {
      const other = group.find((o) => o !== opt && seen.has(o));
      if (other !== undefined) {
        throw paramError(`${ext}: option "--${opt}" cannot be used together with --${other}.`, `--${opt}`);
      }
    },
    has(opt: string): boolean {
      return seen.has(opt);
    },
  };
}

function mandatory(ext: string, opt: string): never {
  throw paramError(`${ext}: option "--${opt}" must be specified`);
}

function commentMatch(): Extension<Match> {
  const t = optionTracker('comment');
  let comment: string | undefined;
  return {
    name: 'comment',
    opts: { comment: { args: 1 } },
    set(opt, [value]) {
      t.once(opt);
      // xt_comment_info.comment is 256 bytes including the NUL
      if (value !== undefined && value.length > 255) {
        throw paramError('comment: Argument must have a maximal length of 255 characters', value);
      }
      comment = value;
    },
    build() {
      return comment === undefined ? mandatory('comment', 'comment') : { m: 'comment', comment };
    },
  };
}

function portMatch(name: 'tcp' | 'udp' | 'sctp'): Extension<Match> {
  const t = optionTracker(name);
  let sport: PortMatch | undefined;
  let dport: PortMatch | undefined;
  const port: OptionDef = { args: 1, invert: true };
  return {
    name,
    opts: { sport: port, 'source-port': port, dport: port, 'destination-port': port },
    set(opt, [value = ''], invert) {
      const src = opt === 'sport' || opt === 'source-port';
      t.once(src ? 'source-port' : 'destination-port');
      if (src) sport = parsePortRange(value, invert);
      else dport = parsePortRange(value, invert);
    },
    build() {
      return { m: name, ...(sport && { sport }), ...(dport && { dport }) };
    },
  };
}

/** libipt_icmp.c icmp_codes: the names whose code range is 0-255 (the model keeps the type only). */
const ICMP_TYPES: Readonly<Record<string, number | undefined>> = {
  any: undefined,
  'echo-reply': 0,
  pong: 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  ping: 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'ttl-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

function icmpMatch(): Extension<Match> {
  const t = optionTracker('icmp');
  let icmpType: number | undefined;
  return {
    name: 'icmp',
    opts: { 'icmp-type': { args: 1 } },
    set(opt, [value = '']) {
      t.once(opt);
      const lower = value.toLowerCase();
      if (Object.hasOwn(ICMP_TYPES, lower)) icmpType = ICMP_TYPES[lower];
      else {
        const n = strtoui(value, 0, 255);
        if (n === undefined) throw paramError(`Invalid ICMP type \`${value}'`, value);
        icmpType = n;
      }
    },
    build() {
      return icmpType === undefined ? { m: 'icmp' } : { m: 'icmp', icmpType };
    },
  };
}

function statisticMatch(): Extension<Match> {
  const t = optionTracker('statistic');
  let mode: string | undefined;
  let probability: number | undefined;
  let neg = false;
  return {
    name: 'statistic',
    opts: { mode: { args: 1 }, probability: { args: 1, invert: true } },
    set(opt, [value = ''], invert) {
      t.once(opt);
      if (opt === 'mode') {
        if (value === 'nth') throw paramError('statistic: mode "nth" is not modelled by this lab', value);
        if (value !== 'random') throw paramError(`Bad mode "${value}"`, value);
        mode = value;
        return;
      }
      const p = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) ? Number(value) : NaN;
      if (!(p >= 0 && p <= 1)) {
        throw paramError(`statistic: Value "${value}" for option "--probability" is out of range [0, 1]`, value);
      }
      probability = statisticProbability(p);
      neg = invert;
    },
    build() {
      if (mode === undefined) return mandatory('statistic', 'mode');
      if (probability === undefined) {
        throw paramError('--probability must be specified when using random mode');
      }
      return { m: 'statistic', mode: 'random', probability, ...(neg && { neg }) };
    },
  };
}

function markMatch(): Extension<Match> {
  const t = optionTracker('mark');
  let mark: { value: number; mask: number } | undefined;
  let neg = false;
  return {
    name: 'mark',
    opts: { mark: { args: 1, invert: true } },
    set(opt, [value = ''], invert) {
      t.once(opt);
      mark = parseMarkMask('mark', opt, value);
      neg = invert;
    },
    build() {
      return mark === undefined ? mandatory('mark', 'mark') : { m: 'mark', mark: mark.value, mask: mark.mask, neg };
    },
  };
}

/** libxt_addrtype.c rtn_names, in the kernel's RTN_* order. */
const ADDR_TYPES: readonly AddrType[] = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
];

function addrtypeMatch(): Extension<Match> {
  const t = optionTracker('addrtype');
  let src: { type: AddrType; neg: boolean } | undefined;
  let dst: { type: AddrType; neg: boolean } | undefined;
  let limitOut = false;
  return {
    name: 'addrtype',
    opts: { 'src-type': { args: 1, invert: true }, 'dst-type': { args: 1, invert: true }, 'limit-iface-out': { args: 0, invert: false } },
    set(opt, [value = ''], invert) {
      t.once(opt);
      if (opt === 'limit-iface-out') {
        limitOut = true;
        return;
      }
      // parse_type: strncasecmp over the given length. A comma list would need a type mask.
      const type = value === '' ? undefined : ADDR_TYPES.find((n) => n.startsWith(value.toUpperCase()));
      if (type === undefined) throw paramError(`addrtype: bad type "${value}"`, value);
      if (opt === 'src-type') src = { type, neg: invert };
      else dst = { type, neg: invert };
    },
    build() {
      if (!src && !dst) throw paramError('addrtype: you must specify --src-type or --dst-type');
      return {
        m: 'addrtype',
        ...(src && { srcType: src.type, srcNeg: src.neg }),
        ...(dst && { dstType: dst.type, dstNeg: dst.neg }),
        ...(limitOut && { limitIfaceOut: true }),
      };
    },
  };
}

/** libxt_conntrack.c print_state order (which is also how the kernel's bits are listed). */
const CT_STATES: readonly CtState[] = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

function conntrackMatch(): Extension<Match> {
  const t = optionTracker('conntrack');
  let states: CtState[] | undefined;
  let neg = false;
  return {
    name: 'conntrack',
    opts: { ctstate: { args: 1, invert: true } },
    set(opt, [value = ''], invert) {
      t.once(opt);
      const wanted = new Set<CtState>();
      for (const word of value.split(',')) {
        const state = CT_STATES.find((s) => s === word.toUpperCase());
        if (state === undefined) throw paramError(`Bad ctstate "${word}"`, value);
        wanted.add(state);
      }
      // a state mask: printed back in bit order, whatever order it was given in
      states = CT_STATES.filter((s) => wanted.has(s));
      neg = invert;
    },
    build() {
      if (states === undefined) throw paramError('conntrack: At least one option is required');
      return { m: 'conntrack', ctstate: states, neg };
    },
  };
}

function setMatch(): Extension<Match> {
  let set: { name: string; flags: ('src' | 'dst')[]; neg: boolean } | undefined;
  return {
    name: 'set',
    opts: { 'match-set': { args: 2, invert: true } },
    set(_opt, [name = '', dirs = ''], invert) {
      if (set) throw paramError('--match-set can be specified only once', name);
      if (name.length > 31) throw paramError(`setname \`${name}' too long, max 31 characters.`, name);
      const flags = dirs.split(',');
      // libxt_set.h parse_dirs: IPSET_DIM_MAX is 6
      if (flags.length > 6) throw paramError("Can't be more src/dst options than 6.", dirs);
      if (!flags.every((f): f is 'src' | 'dst' => f === 'src' || f === 'dst')) {
        throw paramError("You must spefify (the comma separated list of) 'src' or 'dst'.", dirs);
      }
      set = { name, flags, neg: invert };
    },
    build() {
      if (!set) throw paramError("You must specify `--match-set' with proper arguments");
      return { m: 'set', ...set };
    },
  };
}

function recentMatch(): Extension<Match> {
  const t = optionTracker('recent');
  const modes = ['set', 'rcheck', 'update'] as const;
  let mode: 'set' | 'rcheck' | 'update' | undefined;
  let seconds: number | undefined;
  let reap = false;
  let name = 'DEFAULT';
  let rsource = true;
  return {
    name: 'recent',
    opts: {
      set: { args: 0 },
      rcheck: { args: 0 },
      update: { args: 0 },
      seconds: { args: 1 },
      reap: { args: 0 },
      name: { args: 1 },
      rsource: { args: 0 },
      rdest: { args: 0 },
    },
    set(opt, [value = '']) {
      if (opt === 'set' || opt === 'rcheck' || opt === 'update') {
        t.exclusive(opt, modes);
        t.once(opt);
        mode = opt;
        return;
      }
      t.once(opt);
      if (opt === 'seconds') seconds = parseU32('recent', opt, value, 1);
      else if (opt === 'reap') reap = true;
      else if (opt === 'name') name = value;
      else rsource = opt === 'rsource';
    },
    build() {
      if (mode === undefined) {
        throw paramError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
      }
      if (reap && seconds === undefined) throw paramError('recent: option "--reap" also requires --seconds.');
      return { m: 'recent', name, mode, rsource, ...(seconds !== undefined && { seconds }), ...(reap && { reap }) };
    },
  };
}

function physdevMatch(): Extension<Match> {
  const t = optionTracker('physdev');
  let isIn: { neg: boolean } | undefined;
  return {
    name: 'physdev',
    opts: { 'physdev-is-in': { args: 0, invert: true } },
    set(opt, _args, invert) {
      t.once(opt);
      isIn = { neg: invert };
    },
    build() {
      if (!isIn) throw paramError('PHYSDEV: no physdev option specified');
      return { m: 'physdev', physdevIsIn: true, neg: isIn.neg };
    },
  };
}

/** libxt_multiport.c (revision 1): a list of ports or ranges on one side, for tcp/udp/sctp only. */
function multiportMatch(): Extension<Match> {
  let spec: { dir: 'dports' | 'sports'; ports: { from: number; to: number }[]; neg: boolean } | undefined;
  const side = (opt: string): 'dports' | 'sports' => (opt === 'destination-ports' || opt === 'dports' ? 'dports' : 'sports');
  return {
    name: 'multiport',
    opts: { 'source-ports': { args: 1, invert: true }, sports: { args: 1, invert: true }, 'destination-ports': { args: 1, invert: true }, dports: { args: 1, invert: true } },
    set(opt, [value = ''], invert) {
      if (spec) throw paramError('multiport can only have one option', `--${opt}`);
      const ports = value.split(',').map((x) => {
        const r = parsePortRange(x, false);
        return { from: r.from, to: r.to };
      });
      if (ports.reduce((n, r) => n + (r.from === r.to ? 1 : 2), 0) > 15) throw paramError('too many ports specified', value);
      spec = { dir: side(opt), ports, neg: invert };
    },
    build(ctx) {
      if (!spec) throw paramError('multiport expects an option');
      if (ctx.proto !== 'tcp' && ctx.proto !== 'udp' && ctx.proto !== 'sctp') throw paramError('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
      return { m: 'multiport', ...spec };
    },
  };
}

const MATCHES: Readonly<Record<string, () => Extension<Match>>> = {
  multiport: multiportMatch,
  comment: commentMatch,
  tcp: () => portMatch('tcp'),
  udp: () => portMatch('udp'),
  sctp: () => portMatch('sctp'),
  icmp: icmpMatch,
  statistic: statisticMatch,
  mark: markMatch,
  addrtype: addrtypeMatch,
  conntrack: conntrackMatch,
  set: setMatch,
  recent: recentMatch,
  physdev: physdevMatch,
};

function standardTarget(t: 'ACCEPT' | 'DROP' | 'RETURN'): Extension<Target> {
  return { name: t, opts: {}, set() {}, build: () => ({ t }) };
}

/** libipt_REJECT.c reject_table: full name, alias. */
const REJECT_TYPES: readonly (readonly [string, string])[] = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];

function rejectTarget(): Extension<Target> {
  const t = optionTracker('REJECT');
  let rejectWith = 'icmp-port-unreachable';
  return {
    name: 'REJECT',
    opts: { 'reject-with': { args: 1 } },
    set(opt, [value = '']) {
      t.once(opt);
      const lower = value.toLowerCase();
      const found = REJECT_TYPES.find(([n, a]) => lower !== '' && (n.startsWith(lower) || a.startsWith(lower)));
      if (!found) throw paramError(`unknown reject type "${value}"`, value);
      rejectWith = found[0];
    },
    build: () => ({ t: 'REJECT', rejectWith }),
  };
}

function markTarget(): Extension<Target> {
  const t = optionTracker('MARK');
  const ops = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'] as const;
  let result: { value: number; mask: number } | undefined;
  return {
    name: 'MARK',
    opts: Object.fromEntries(ops.map((o) => [o, { args: 1 } as const])),
    set(opt, [arg = '']) {
      t.exclusive(opt, ops);
      t.once(opt);
      // libxt_MARK.c mark_tg_parse (revision 2): every form becomes mark = (mark & ~mask) ^ value
      if (opt === 'set-xmark') result = parseMarkMask('MARK', opt, arg);
      else if (opt === 'set-mark') {
        const { value, mask } = parseMarkMask('MARK', opt, arg);
        result = { value, mask: (value | mask) >>> 0 };
      } else {
        const bits = parseU32('MARK', opt, arg);
        if (opt === 'and-mark') result = { value: 0, mask: ~bits >>> 0 };
        else if (opt === 'or-mark') result = { value: bits, mask: bits };
        else result = { value: bits, mask: 0 };
      }
    },
    build() {
      if (!result) throw paramError('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
      return { t: 'MARK', ...result };
    },
  };
}

/** libxt_NAT.c parse_to, restricted to one address and one port (what the model stores). */
function parseNatTo(s: string, proto: ProtoName | undefined): { toAddr: string; toPort?: number } {
  const colon = s.indexOf(':');
  const addr = colon < 0 ? s : s.slice(0, colon);
  if (addr.includes('-')) throw paramError(`address ranges are not modelled by this lab: "${addr}"`, s);
  if (!isIpv4(addr)) throw paramError(`Bad IP address "${addr}"`, s);
  if (colon < 0) return { toAddr: addr };
  if (proto === undefined) throw paramError('Need TCP, UDP, SCTP or DCCP with port specification', s);
  const portText = s.slice(colon + 1);
  const port = strtoui(portText, 0, 65535);
  if (port === undefined) throw paramError(`Port \`${portText}' not valid`, s);
  return { toAddr: addr, toPort: port };
}

function natTarget(kind: 'DNAT' | 'SNAT'): Extension<Target> {
  const t = optionTracker(kind);
  const toOpt = kind === 'DNAT' ? 'to-destination' : 'to-source';
  let to: string | undefined;
  let random = false;
  return {
    name: kind,
    opts: { [toOpt]: { args: 1 }, random: { args: 0 } },
    set(opt, [value = '']) {
      t.once(opt);
      if (opt === 'random') random = true;
      else to = value;
    },
    build(ctx) {
      if (to === undefined) return mandatory(kind, toOpt);
      return { t: kind, ...parseNatTo(to, ctx.proto), ...(random && { random }) };
    },
  };
}

function masqueradeTarget(): Extension<Target> {
  const t = optionTracker('MASQUERADE');
  let toPorts: string | undefined;
  let randomFully = false;
  return {
    name: 'MASQUERADE',
    opts: { 'to-ports': { args: 1 }, 'random-fully': { args: 0 } },
    set(opt, [value = '']) {
      t.once(opt);
      if (opt === 'random-fully') randomFully = true;
      else toPorts = value;
    },
    build(ctx) {
      if (toPorts === undefined) return { t: 'MASQUERADE', ...(randomFully && { randomFully }) };
      if (ctx.proto === undefined) throw paramError('Need TCP, UDP, SCTP or DCCP with port specification', toPorts);
      const m = /^(\d+)(?:-(\d+))?$/.exec(toPorts);
      const lo = m?.[1] === undefined ? undefined : strtoui(m[1], 0, 65535);
      const hi = m?.[2] === undefined ? lo : strtoui(m[2], 0, 65535);
      if (lo === undefined || hi === undefined) throw paramError(`Port \`${toPorts}' not valid`, toPorts);
      if (hi < lo) throw paramError(`Port range \`${toPorts}' funky`, toPorts);
      return { t: 'MASQUERADE', toPorts: lo === hi ? `${lo}` : `${lo}-${hi}`, ...(randomFully && { randomFully }) };
    },
  };
}

const TARGETS: Readonly<Record<string, () => Extension<Target>>> = {
  ACCEPT: () => standardTarget('ACCEPT'),
  DROP: () => standardTarget('DROP'),
  RETURN: () => standardTarget('RETURN'),
  REJECT: rejectTarget,
  MARK: markTarget,
  DNAT: () => natTarget('DNAT'),
  SNAT: () => natTarget('SNAT'),
  MASQUERADE: masqueradeTarget,
};

/** The longest target extension name (MASQUERADE). */
const MAX_TARGET_NAME = Math.max(...Object.keys(TARGETS).map((t) => t.length));

/** Target names a chain may not take (xshared.c assert_valid_chain_name). */
function isTargetName(name: string): boolean {
  return Object.hasOwn(TARGETS, name);
}

// ---------------------------------------------------------------------------------------------
// The rule-spec parser (xshared.c do_parse, the rule-building half)

/** Command-line flags that are not part of a rule; the command parser consumes them. */
type CommandHook = (opt: string, args: readonly string[], i: number) => number | undefined;

interface ParsedSpec {
  readonly rule: Rule;
  /** rule options given (-s -d -p -j -i -o), for commands that forbid them */
  readonly basicOpts: readonly string[];
}

const BASIC_OPTS: Readonly<Record<string, string>> = {
  '-s': 's',
  '--source': 's',
  '--src': 's',
  '-d': 'd',
  '--destination': 'd',
  '--dst': 'd',
  '-p': 'p',
  '--protocol': 'p',
  '-i': 'i',
  '--in-interface': 'i',
  '-o': 'o',
  '--out-interface': 'o',
  '-j': 'j',
  '--jump': 'j',
  '-g': 'j',
  '--goto': 'j',
  '-m': 'm',
  '--match': 'm',
};

/** xs_has_arg: the next word is an argument, not an option. */
function hasArg(args: readonly string[], i: number): boolean {
  const next = args[i];
  return next !== undefined && !next.startsWith('-') && !next.startsWith('!');
}

function parseSpec(args: readonly string[], commandHook?: CommandHook): ParsedSpec {
  let src: AddrMatch | undefined;
  let dst: AddrMatch | undefined;
  let proto: { name: ProtoName; neg: boolean } | undefined;
  let protoUsed = false;
  let inIface: IfaceMatch | undefined;
  let outIface: IfaceMatch | undefined;
  const matches: Extension<Match>[] = [];
  let target: Extension<Target> | undefined;
  let jump: { chain: string; goto: boolean } | undefined;
  /** every loaded extension, newest last: the newest one's option wins, as in getopt's merged table */
  const loaded: Extension<Match | Target>[] = [];
  const basicOpts: string[] = [];
  let invert = false;

  const once = (letter: string, opt: string): void => {
    if (basicOpts.includes(letter) && letter !== 'm') throw paramError(`multiple -${letter} flags not allowed`, opt);
    basicOpts.push(letter);
  };

  let i = 0;
  while (i < args.length) {
    const word = args[i] ?? '';
    if (word === '!') {
      if (invert) throw paramError('multiple consecutive ! not allowed', word);
      invert = true;
      i++;
      continue;
    }
    if (!word.startsWith('-') || word === '-') throw paramError(`Bad argument \`${word}'`, word);

    const hooked = commandHook?.(word, args, i);
    if (hooked !== undefined) {
      if (invert) throw paramError("unexpected '!' flag", word);
      i = hooked;
      continue;
    }

    const letter = own(BASIC_OPTS, word);
    if (letter !== undefined) {
      const value = args[i + 1];
      if (value === undefined) throw paramError(`option "${word}" requires an argument`, word);
      i += 2;
      const neg = invert;
      invert = false;
      once(letter, word);
      switch (letter) {
        case 's':
          src = addrMatch(value, neg);
          break;
        case 'd':
          dst = addrMatch(value, neg);
          break;
        case 'p': {
          const p = own(PROTO_NUMBERS, value.toLowerCase());
          if (p === undefined) throw paramError(`unknown protocol "${value}" specified`, value);
          if (p === 'all' && neg) throw paramError('rule would never match protocol', value);
          if (p !== 'all') proto = { name: p, neg };
          break;
        }
        case 'i':
          inIface = parseIface(value, neg);
          break;
        case 'o':
          outIface = parseIface(value, neg);
          break;
        case 'm': {
          if (neg) throw paramError('unexpected ! flag before --match', word);
          const make = own(MATCHES, value);
          if (!make) throw paramError(`Couldn't load match \`${value}':No such file or directory`, value);
          const ext = make();
          matches.push(ext);
          loaded.push(ext);
          break;
        }
        case 'j': {
          if (neg) throw paramError('cannot have ! before -j', word);
          if (value === '' || /\s/.test(value)) throw paramError(`Invalid target name \`${value}'`, value);
          const isGoto = word === '-g' || word === '--goto';
          const make = isGoto ? undefined : own(TARGETS, value);
          if (make) {
            target = make();
            loaded.push(target);
          } else jump = { chain: value, goto: isGoto };
          break;
        }
      }
      continue;
    }

    if (!word.startsWith('--')) throw paramError(`unknown option "${word}"`, word);
    const opt = word.slice(2);
    let ext: Extension<Match | Target> | undefined;
    for (let k = loaded.length - 1; k >= 0 && !ext; k--) if (Object.hasOwn(loaded[k]!.opts, opt)) ext = loaded[k];
    // xshared.c load_proto: `-p tcp --dport 80` loads the tcp match on first unknown option
    if (!ext && proto && !protoUsed) {
      protoUsed = true;
      const make = own(MATCHES, proto.name);
      if (make) {
        const implicit = make();
        if (Object.hasOwn(implicit.opts, opt)) {
          matches.push(implicit);
          loaded.push(implicit);
          ext = implicit;
        }
      }
    }
    const def = ext && own(ext.opts, opt);
    if (!ext || !def) throw paramError(`unknown option "${word}"`, word);
    if (invert && !def.invert) throw paramError(`${ext.name}: option "--${opt}" cannot be inverted.`, word);
    const optArgs = args.slice(i + 1, i + 1 + def.args);
    if (optArgs.length < def.args) throw paramError(`option "${word}" requires an argument`, word);
    if (def.args === 2 && !hasArg(args, i + 2)) throw paramError(`--${opt} requires two args.`, word);
    ext.set(opt, optArgs, invert);
    invert = false;
    i += 1 + def.args;
  }
  if (invert) throw paramError("Bad argument `!'", '!');

  const ctx: BuildContext = { proto: proto && !proto.neg ? proto.name : undefined };
  const builtMatches = matches.map((m) => m.build(ctx));
  const builtTarget: Target = target
    ? target.build(ctx)
    : jump
      ? { t: 'jump', chain: jump.chain, ...(jump.goto && { goto: true }) }
      : { t: 'none' };

  // x_tables.c xt_check_match: tcp/udp/sctp/icmp matches only load for that (non-negated) protocol
  for (const m of builtMatches) {
    if ((m.m === 'tcp' || m.m === 'udp' || m.m === 'sctp' || m.m === 'icmp') && ctx.proto !== m.m) {
      throw kernelError(EINVAL_TEXT, `-m ${m.m}`);
    }
  }

  const rule: Rule = {
    ...(src && { src }),
    ...(dst && { dst }),
    ...(proto && { proto }),
    ...(inIface && { inIface }),
    ...(outIface && { outIface }),
    matches: builtMatches,
    target: builtTarget,
    counters: { pkts: 0, bytes: 0 },
  };
  return { rule, basicOpts };
}

/**
 * Parses the rule part of an iptables command line (`-d 10.43.6.58/32 -p tcp -m tcp --dport 80
 * -j KUBE-SVC-…`) into the kernel's rule structure. Whether a `-j` name is a real chain is only
 * known against a table, so that is checked by applyIptables, not here.
 */
export function parseRuleSpec(args: readonly string[]): RuleSpecResult {
  try {
    return { ok: true, rule: parseSpec(args).rule };
  } catch (e) {
    return toFailure(e, 'iptables');
  }
}

// ---------------------------------------------------------------------------------------------
// Commands (xshared.c do_parse, the command half; iptables.c do_command4; libiptc)

export type IptablesVerb = 'A' | 'I' | 'D' | 'R' | 'C' | 'F' | 'Z' | 'N' | 'X' | 'P' | 'L' | 'S';

/** A parsed `iptables …` command line; listing flags are kept for the CLI renderers. */
export interface IptablesCommand {
  readonly verb: IptablesVerb;
  readonly table: TableName;
  readonly chain?: string;
  readonly rulenum?: number;
  readonly policy?: string;
  readonly rule?: Rule;
  readonly numeric: boolean;
  readonly verbose: boolean;
  readonly exact: boolean;
  readonly lineNumbers: boolean;
}

const VERBS: Readonly<Record<string, IptablesVerb>> = {
  '-A': 'A',
  '--append': 'A',
  '-I': 'I',
  '--insert': 'I',
  '-D': 'D',
  '--delete': 'D',
  '-R': 'R',
  '--replace': 'R',
  '-C': 'C',
  '--check': 'C',
  '-F': 'F',
  '--flush': 'F',
  '-Z': 'Z',
  '--zero': 'Z',
  '-N': 'N',
  '--new-chain': 'N',
  '-X': 'X',
  '--delete-chain': 'X',
  '-P': 'P',
  '--policy': 'P',
  '-L': 'L',
  '--list': 'L',
  '-S': 'S',
  '--list-rules': 'S',
};

/** Verbs that take a rule specification. */
const RULE_VERBS: ReadonlySet<IptablesVerb> = new Set(['A', 'I', 'D', 'R', 'C']);

function parseRulenum(s: string): number {
  const n = strtoui(s, 1, 0x7fffffff);
  if (n === undefined) throw paramError(`Invalid rule number \`${s}'`, s);
  return n;
}

/** The command plus `-c pkts bytes`, which -P uses for the policy counters. */
type ParsedCommand = IptablesCommand & { readonly counters?: { readonly pkts: number; readonly bytes: number } };

/**
 * getopt lets flags share one dash: `-nvL` is `-n -v -L`. Words whose letters are all flags
 * without an argument (n, v, x), save a last one that may take one, are split the same way.
 */
function splitBundles(args: readonly string[]): readonly string[] {
  if (!args.some(isBundle)) return args;
  return args.flatMap((w) => (isBundle(w) ? [...w.slice(1)].map((c) => `-${c}`) : [w]));
}

/** `/^-[nvx]+[a-zA-Z]$/`, tested without a regex: every word of every restore line is checked. */
function isBundle(w: string): boolean {
  const n = w.length;
  if (n < 3 || w.charCodeAt(0) !== 0x2d) return false;
  for (let i = 1; i < n - 1; i++) {
    const c = w.charCodeAt(i);
    if (c !== 0x6e && c !== 0x76 && c !== 0x78) return false; // n v x
  }
  const last = w.charCodeAt(n - 1) | 0x20; // ASCII letters, either case
  return last >= 0x61 && last <= 0x7a;
}

function parseCommand(argv: readonly string[]): ParsedCommand {
  const args = splitBundles(argv);
  let verb: IptablesVerb | undefined;
  let verbWord = '';
  let table: TableName = 'filter';
  let chain: string | undefined;
  let rulenum: number | undefined;
  let policy: string | undefined;
  let counters: { pkts: number; bytes: number } | undefined;
  let numeric = false;
  let verbose = false;
  let exact = false;
  let lineNumbers = false;

  const hook: CommandHook = (opt, words, i) => {
    const v = own(VERBS, opt);
    if (v !== undefined) {
      if (verb !== undefined) throw paramError(`Cannot use -${v} with -${verb}`, opt);
      verb = v;
      verbWord = opt;
      let j = i + 1;
      const needsChain = v === 'A' || v === 'I' || v === 'D' || v === 'R' || v === 'C' || v === 'N' || v === 'P';
      if (needsChain) {
        const c = words[j];
        if (c === undefined) throw paramError(`option "${opt}" requires an argument`, opt);
        chain = c;
        j++;
      } else if (hasArg(words, j)) chain = words[j++];
      if (v === 'I' || v === 'D' || v === 'L' || v === 'S' || v === 'Z') {
        if (chain !== undefined && hasArg(words, j)) rulenum = parseRulenum(words[j++] ?? '');
      } else if (v === 'R') {
        if (!hasArg(words, j)) throw paramError('-R requires a rule number', opt);
        rulenum = parseRulenum(words[j++] ?? '');
      } else if (v === 'P') {
        if (!hasArg(words, j)) throw paramError('-P requires a chain and a policy', opt);
        policy = words[j++];
      }
      return j;
    }
    switch (opt) {
      case '-t':
      case '--table': {
        const t = words[i + 1];
        if (t === undefined) throw paramError(`option "${opt}" requires an argument`, opt);
        if (!isTableName(t)) {
          throw paramError(`can't initialize iptables table \`${t}': Table does not exist (do you need to insmod?)`, t);
        }
        table = t;
        return i + 2;
      }
      case '-c':
      case '--set-counters': {
        const p = words[i + 1];
        const b = words[i + 2];
        if (p === undefined || b === undefined || !hasArg(words, i + 2)) {
          throw paramError('-c requires packet and byte counter', opt);
        }
        if (!/^\d+$/.test(p)) throw paramError('-c packet counter not numeric', p);
        if (!/^\d+$/.test(b)) throw paramError('-c byte counter not numeric', b);
        counters = { pkts: Number(p), bytes: Number(b) };
        return i + 3;
      }
      case '-n':
      case '--numeric':
        numeric = true;
        return i + 1;
      case '-v':
      case '--verbose':
        verbose = true;
        return i + 1;
      case '-x':
      case '--exact':
        exact = true;
        return i + 1;
      case '--line-numbers':
        lineNumbers = true;
        return i + 1;
      case '-w':
      case '--wait':
        return hasArg(words, i + 1) ? i + 2 : i + 1;
      default:
        return undefined;
    }
  };

  const { rule, basicOpts } = parseSpec(args, hook);
  if (verb === undefined) throw paramError('no command specified');
  // xshared.c commands_v_options: -n, -x and --line-numbers only list; -c only sets counters
  const listOnly = (
    [
      [numeric, '-n'],
      [exact, '-x'],
      [lineNumbers, '--line-numbers'],
    ] as const
  ).find(([given]) => given)?.[1];
  if (listOnly && verb !== 'L') throw paramError(`Illegal option \`${listOnly}' with this command`, listOnly);
  if (counters && !['A', 'I', 'R', 'P'].includes(verb)) throw paramError("Illegal option `-c' with this command", '-c');
  if (!RULE_VERBS.has(verb)) {
    // xshared.c generic_opt_check: rule options are illegal with chain commands
    const illegal = basicOpts.find((o) => o !== 'm');
    if (illegal !== undefined) throw paramError(`Illegal option \`-${illegal}' with this command`, `-${illegal}`);
  }
  if (verb === 'D' && rulenum !== undefined && (basicOpts.length > 0 || rule.matches.length > 0)) {
    throw paramError(`Illegal option \`-${basicOpts[0] ?? 'm'}' with this command`, verbWord);
  }
  const needsRule = RULE_VERBS.has(verb) && !(verb === 'D' && rulenum !== undefined);
  const withCounters = counters && needsRule ? { ...rule, counters } : rule;
  return {
    verb,
    table,
    ...(chain !== undefined && { chain }),
    ...(rulenum !== undefined && { rulenum }),
    ...(policy !== undefined && { policy }),
    ...(needsRule && { rule: withCounters }),
    ...(counters && { counters }),
    numeric,
    verbose,
    exact,
    lineNumbers,
  };
}

/**
 * parseCommand's answers by command line, kept across calls: the controllers run the same
 * commands on every node (kube-proxy's jump rules, flanneld's checks). A parsed command is
 * immutable but for its rule's counters, so each use gets a copy of the rule with counters of
 * its own. Bounded; started over when full.
 */
const parsedCommands = new Map<string, ParsedCommand>();
const PARSED_COMMANDS = 4096;

function parseCommandShared(argv: readonly string[]): ParsedCommand {
  // JSON: unambiguous for any words (a separator character could occur in one)
  const key = JSON.stringify(argv);
  let cmd = parsedCommands.get(key);
  if (!cmd) {
    cmd = parseCommand(argv);
    if (parsedCommands.size >= PARSED_COMMANDS) parsedCommands.clear();
    parsedCommands.set(key, cmd);
  }
  const { rule } = cmd;
  return rule ? { ...cmd, rule: { ...rule, counters: { pkts: rule.counters.pkts, bytes: rule.counters.bytes } } } : cmd;
}

/**
 * Parses a whole `iptables` command line (without the program name). The CLI uses it to tell
 * listing commands (-L, -S) and their flags from changes, which go to applyIptables.
 */
export function parseIptablesCommand(
  args: readonly string[],
): { readonly ok: true; readonly command: IptablesCommand } | IptablesFailure {
  try {
    return { ok: true, command: parseCommand(args) };
  } catch (e) {
    return toFailure(e, 'iptables');
  }
}

/** Rule equality as `iptables -D rulespec` / `-C` decide it: everything but the counters. */
export function sameRuleSpec(a: Rule, b: Rule): boolean {
  return deepEqual({ ...a, counters: undefined }, { ...b, counters: undefined });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  // an absent field and an `undefined` one mean the same rule
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!deepEqual(ra[k], rb[k])) return false;
  return true;
}

function needChain(table: Table, name: string | undefined): Chain {
  const chain = name === undefined ? undefined : table.get(name);
  if (!chain) throw kernelError('No chain/target/match by that name', name);
  return chain;
}

/** needChain for a change: this transaction's own copy of the chain (one lookup when it exists). */
function needWritableChain(table: Table, name: string | undefined): Chain {
  return (name === undefined ? undefined : writableChain(table, name)) ?? needChain(table, name);
}

/** xt_nat.c: the NAT targets register for table "nat" and their hooks only. */
const NAT_TARGET_HOOKS: Readonly<Record<string, readonly string[]>> = {
  DNAT: ['PREROUTING', 'OUTPUT'],
  SNAT: ['POSTROUTING', 'INPUT'],
  MASQUERADE: ['POSTROUTING'],
};

/** Checks a rule against the table it goes into: jump targets exist, NAT only in nat. */
function checkRuleInTable(table: Table, tableName: TableName, chain: Chain, rule: Rule): void {
  const t = rule.target;
  if (t.t === 'jump') {
    const dest = table.get(t.chain);
    if (!dest) {
      if (t.goto) throw paramError(`goto '${t.chain}' is not a chain`, t.chain);
      throw paramError(`Couldn't load target \`${t.chain}':No such file or directory`, t.chain);
    }
    // the kernel refuses a jump into a built-in chain
    if (isBuiltinChain(dest)) throw kernelError(EINVAL_TEXT, t.chain);
  }
  const allowed = own(NAT_TARGET_HOOKS, t.t);
  if (allowed) {
    if (tableName !== 'nat') throw kernelError(EINVAL_TEXT, t.t);
    if (isBuiltinChain(chain) && !allowed.includes(chain.name)) throw kernelError(EINVAL_TEXT, t.t);
  }
}

/** ip_tables.c mark_source_chains: a table whose jumps form a loop is refused (ELOOP). */
function checkLoops(table: Table): void {
  // the depth-first walk of the recursive definition (chains in table order, jumps in rule
  // order, the first jump back into the walk's own path refused) with an explicit stack and
  // state kept per Chain object: a kube-proxy table has tens of thousands of chains
  const done = new Set<Chain>();
  const onPath = new Set<Chain>();
  const path: { readonly chain: Chain; next: number }[] = [];
  for (const root of table.values()) {
    if (done.has(root)) continue;
    onPath.add(root);
    path.push({ chain: root, next: 0 });
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const rule = top.chain.rules[top.next++];
      if (!rule) {
        onPath.delete(top.chain);
        done.add(top.chain);
        path.pop();
        continue;
      }
      if (rule.target.t !== 'jump') continue;
      const name = rule.target.chain;
      // a jump to a chain that is not there leads nowhere (checkRuleInTable refuses those)
      const next = table.get(name);
      if (!next || done.has(next)) continue;
      if (onPath.has(next)) throw kernelError('Too many levels of symbolic links', name);
      onPath.add(next);
      path.push({ chain: next, next: 0 });
    }
  }
}

/** xshared.c assert_valid_chain_name (XT_EXTENSION_MAXNAMELEN is 29 including the NUL). */
function checkChainName(name: string): void {
  if (name.length >= 29) throw paramError(`chain name \`${name}' too long (must be under 29 chars)`, name);
  if (name.startsWith('-') || name.startsWith('!')) {
    throw paramError(`chain name not allowed to start with \`${name[0] ?? ''}'`, name);
  }
  if (isTargetName(name)) throw paramError('chain name may not clash with target name', name);
  if (/\s/.test(name)) throw paramError(`Invalid chain name \`${name}'`, name);
}

function zeroed(rule: Rule): Rule {
  return { ...rule, counters: { pkts: 0, bytes: 0 } };
}

/**
 * Runs one parsed command against staged tables (libiptc semantics, errno texts). `refs`, when
 * given, answers `-X`'s reference counts from a count the caller keeps (see iptablesRestore).
 */
function execute(tables: Tables, cmd: ParsedCommand, refs?: () => ReadonlyMap<string, number>): void {
  const table = tables[cmd.table];
  const { verb, rule } = cmd;
  switch (verb) {
    case 'A':
    case 'I':
    case 'R':
    case 'C':
    case 'D': {
      // -C only reads; the others change the chain, so take this transaction's copy of it
      const chain = verb === 'C' ? needChain(table, cmd.chain) : needWritableChain(table, cmd.chain);
      if (!rule) {
        // -D chain rulenum
        const n = cmd.rulenum ?? 0;
        if (n > chain.rules.length) throw kernelError('Index of deletion too big', String(n));
        chain.rules.splice(n - 1, 1);
        return;
      }
      checkRuleInTable(table, cmd.table, chain, rule);
      if (verb === 'A') chain.rules.push(rule);
      else if (verb === 'I') {
        const n = cmd.rulenum ?? 1;
        if (n - 1 > chain.rules.length) throw kernelError('Index of insertion too big', String(n));
        chain.rules.splice(n - 1, 0, rule);
      } else if (verb === 'R') {
        const n = cmd.rulenum ?? 0;
        if (n > chain.rules.length) throw kernelError('Index of replacement too big', String(n));
        chain.rules.splice(n - 1, 1, rule);
      } else {
        const at = chain.rules.findIndex((r) => sameRuleSpec(r, rule));
        if (at < 0) throw kernelError('Bad rule (does a matching rule exist in that chain?)', cmd.chain);
        if (verb === 'D') chain.rules.splice(at, 1);
      }
      return;
    }
    case 'F':
    case 'Z': {
      const names = cmd.chain === undefined ? [...table.keys()] : [needChain(table, cmd.chain).name];
      for (const name of names) {
        if (verb === 'F') {
          putChain(table, { ...needChain(table, name), rules: [] });
          continue;
        }
        const chain = needWritableChain(table, name);
        if (cmd.rulenum !== undefined) {
          const rule = chain.rules[cmd.rulenum - 1];
          if (!rule) throw kernelError('Index of counter too big', String(cmd.rulenum));
          chain.rules[cmd.rulenum - 1] = zeroed(rule);
        } else {
          chain.rules = chain.rules.map(zeroed);
          if (isBuiltinChain(chain)) putChain(table, { ...chain, policyCounters: { pkts: 0, bytes: 0 } });
        }
      }
      return;
    }
    case 'N': {
      const name = cmd.chain ?? '';
      checkChainName(name);
      if (table.has(name)) throw kernelError('Chain already exists', name);
      putChain(table, { name, policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
      return;
    }
    case 'X': {
      // iptables.c delete_chain4: without a name, every user chain, in list order
      const names =
        cmd.chain === undefined ? [...table.values()].filter((c) => !isBuiltinChain(c)).map((c) => c.name) : [cmd.chain];
      // one pass over the rules for all the names (deleting an empty chain changes no count)
      const counts = refs?.() ?? (names.length > 1 ? chainReferenceCounts(table) : undefined);
      for (const name of names) {
        const chain = needChain(table, name);
        if (isBuiltinChain(chain)) throw kernelError("Can't delete built-in chain", name);
        // libiptc TC_DELETE_CHAIN: the errno reaches the user as strerror() text
        const references = counts ? (counts.get(name) ?? 0) : chainReferences(table, name);
        if (references > 0) throw kernelError('Too many links', name);
        if (chain.rules.length > 0) throw kernelError('Directory not empty', name);
        table.delete(name);
      }
      return;
    }
    case 'P': {
      const chain = needChain(table, cmd.chain);
      if (!isBuiltinChain(chain)) throw kernelError('Bad built-in chain name', cmd.chain);
      if (cmd.policy !== 'ACCEPT' && cmd.policy !== 'DROP') throw kernelError('Bad policy name', cmd.policy);
      const { counters } = cmd;
      putChain(table, { ...chain, policy: cmd.policy, ...(counters && { policyCounters: { ...counters } }) });
      return;
    }
    case 'L':
    case 'S':
      if (cmd.chain !== undefined) needChain(table, cmd.chain);
      return;
  }
}

/**
 * After a command that may have added a jump: the kernel's loop check (checkLoops), run only
 * when the new jump closes a loop. Every change to the tables is checked, so before it the jump
 * graph had no loop, and a new edge chain → target makes one exactly when target reaches chain;
 * then the full walk runs to refuse it with the same chain name as always. (Walking a whole
 * kube-proxy table per `iptables -A` would make a user's command cost as much as a sync.)
 */
function checkNewJumpLoops(table: Table, cmd: ParsedCommand): void {
  const t = cmd.rule?.target;
  if (cmd.chain === undefined || t?.t !== 'jump' || (cmd.verb !== 'A' && cmd.verb !== 'I' && cmd.verb !== 'R')) return;
  const seen = new Set<string>();
  const pending = [t.chain];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (name === cmd.chain) return checkLoops(table);
    if (seen.has(name)) continue;
    seen.add(name);
    for (const rule of table.get(name)?.rules ?? []) if (rule.target.t === 'jump') pending.push(rule.target.chain);
  }
}

/** Verbs that only read the tables: no transaction to stage or commit. */
const READ_ONLY_VERBS: ReadonlySet<IptablesVerb> = new Set(['C', 'L', 'S']);

/**
 * Runs one `iptables` command line (without the program name) against the tables, as the real
 * command does: `-t`, `-A`, `-I [n]`, `-D rulespec|n`, `-R n`, `-C`, `-F`, `-Z`, `-N`, `-X`,
 * `-P`. Listing verbs only check the chain exists (the CLI renders them). On any error the tables
 * are untouched and the result carries iptables' own message.
 */
/** Commands that write into a table and so make it exist in nf_tables (see markTableCreated). */
const CREATING_VERBS: ReadonlySet<IptablesVerb> = new Set(['A', 'I', 'R', 'N', 'P']);

export function applyIptables(tables: Tables, args: readonly string[]): IptablesResult {
  try {
    const cmd = parseCommandShared(args);
    // -C is iptc_check_entry: it reads the chain and commits nothing
    if (READ_ONLY_VERBS.has(cmd.verb)) {
      execute(tables, cmd);
      return { ok: true };
    }
    // a command changes only its own table (iptables-legacy replaces that one table)
    const staged = stageTable(tables[cmd.table]);
    execute({ ...tables, [cmd.table]: staged }, cmd);
    if (CREATING_VERBS.has(cmd.verb)) markTableCreated(staged);
    checkNewJumpLoops(staged, cmd);
    commitTable(tables[cmd.table], staged);
    return { ok: true };
  } catch (e) {
    return toFailure(e, 'iptables');
  }
}

// ---------------------------------------------------------------------------------------------
// iptables-restore

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isSpace = (c: number): boolean => c === SPACE || c === TAB || c === LF || c === CR;

/**
 * Splits one iptables-restore rule line into words exactly as xshared.c add_param_to_argv does:
 * whitespace separates, `"…"` groups (a backslash inside quotes escapes the next character),
 * single quotes are ordinary characters. (A shell would strip `'…'` too; iptables-restore does
 * not.)
 */
export function tokenizeRestoreLine(line: string): string[] {
  return splitPlainLine(line) ?? tokenizeAnyLine(line);
}

/** What keeps a line off the split fast path: edge or double spaces, tabs, CR/LF, backslashes. */
const NOT_PLAIN_RE = /^ | $|  |[\t\r\n\\]/;

/**
 * tokenizeRestoreLine for the lines kube-proxy writes — words separated by single spaces, no
 * tabs or backslashes, quotes only around whole words — with the engine's own split (a sync
 * restores hundreds of thousands of lines). Undefined for any other line.
 */
function splitPlainLine(line: string): string[] | undefined {
  if (line === '' || NOT_PLAIN_RE.test(line)) return undefined;
  let words: string[] | undefined;
  let from = 0;
  for (let open = line.indexOf('"'); open >= 0; open = line.indexOf('"', from)) {
    const close = line.indexOf('"', open + 1);
    // a quoted word: after a space (or at the start), ending the word (at a space or the end)
    const whole = (open === 0 || line.charCodeAt(open - 1) === SPACE) && close > 0 && (close === line.length - 1 || line.charCodeAt(close + 1) === SPACE);
    if (!whole) return undefined;
    words ??= [];
    if (open > from) words.push(...line.slice(from, open - 1).split(' '));
    words.push(line.slice(open + 1, close));
    from = close + 2;
  }
  if (!words) return line.split(' ');
  if (from < line.length) words.push(...line.slice(from).split(' '));
  return words;
}

/** tokenizeRestoreLine for any line: runs of ordinary characters are taken as slices. */
function tokenizeAnyLine(line: string): string[] {
  const words: string[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    if (isSpace(line.charCodeAt(i))) {
      i++;
      continue;
    }
    // one word, which may switch in and out of quotes: `a"b c"d` is `ab cd`
    let word = '';
    let from = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (isSpace(c)) break;
      if (c !== QUOTE) {
        i++;
        continue;
      }
      word += line.slice(from, i);
      from = ++i;
      while (i < n) {
        const q = line.charCodeAt(i);
        if (q === QUOTE) break;
        if (q === BACKSLASH) {
          // charAt past the end is '': a trailing backslash escapes nothing
          word += line.slice(from, i) + line.charAt(i + 1);
          i += 2;
          from = i;
        } else i++;
      }
      // an unterminated quote runs to the end of the line
      word += line.slice(from, i);
      from = ++i;
    }
    words.push(word + line.slice(from, i));
  }
  return words;
}

export interface RestoreOptions {
  /** `--noflush`: keep what is there; a `:CHAIN` line flushes only that chain */
  readonly noflush: boolean;
  /** `--counters`: take `[pkts:bytes]` from chain and rule lines */
  readonly counters: boolean;
}

const COUNTERS_RE = /^\[(\d+):(\d+)\]$/;

/**
 * Applies an iptables-restore payload (iptables-restore.c): `*table` (flushing the table unless
 * noflush), `:CHAIN POLICY [p:b]` lines (creating the chain, or flushing it when noflush and it
 * exists; setting a built-in's policy), rule lines run as commands in that table, `COMMIT`. The
 * whole payload applies or nothing does (as iptables-nft applies its one batch), so a failing
 * kube-proxy sync leaves the previous rules in place.
 */
export function iptablesRestore(tables: Tables, payload: string, opts: RestoreOptions): IptablesResult {
  const staged = stageTables(tables);
  const restored = iptablesRestoreStaged(staged, payload, opts);
  if (restored.ok) commitTables(tables, staged);
  return restored;
}

/**
 * iptablesRestore into tables that are already a transaction's staged copy (stageTables), for a
 * caller that commits them itself and drops them on an error — then they may hold part of the
 * payload. Saves a second staging and commit of every chain (a kube-proxy sync's nat table
 * has tens of thousands).
 */
export function iptablesRestoreStaged(staged: Tables, payload: string, opts: RestoreOptions): IptablesResult {
  const prog = 'iptables-restore';
  const memo = newRestoreMemo();
  let current: TableName | undefined;
  /**
   * `-X` needs each chain's reference count. kube-proxy ends its payload with one `-X` per stale
   * chain; counting the whole table for each would be quadratic, so the count is taken once and
   * kept while only `-X` lines follow (deleting an empty chain changes no other count).
   */
  let refCounts: Map<string, number> | undefined;
  const refs = (): Map<string, number> => (refCounts ??= chainReferenceCounts(staged[current ?? 'filter']));
  let lineNo = 0;
  try {
    const script = restoreScript(payload);
    for (const rec of script.lines) {
      const line = rec.text;
      lineNo = rec.lineNo;
      const first = line.charCodeAt(0);
      if (first !== 0x2d /* - */) {
        refCounts = undefined;
        memo.appendTo = undefined;
      }
      if (line === 'COMMIT' && current !== undefined) {
        checkLoops(staged[current]);
        current = undefined;
      } else if (first === 0x2a /* * */ && current === undefined) {
        const name = line.slice(1).trim().split(/\s+/)[0] ?? '';
        if (name === '') throw paramError(`${prog}: line ${lineNo} table name invalid`, line);
        if (!isTableName(name)) {
          throw paramError(`${prog}: unable to initialize table '${name}'`, line);
        }
        current = name;
        if (!opts.noflush) {
          const table = staged[name];
          for (const chain of [...table.values()]) {
            if (isBuiltinChain(chain)) putChain(table, { ...chain, rules: [] });
            else table.delete(chain.name);
          }
        }
      } else if (first === 0x3a /* : */ && current !== undefined) {
        restoreChainLine(staged[current], rec, opts, prog);
        markTableCreated(staged[current]);
      } else if (current !== undefined) {
        markTableCreated(staged[current]);
        // any rule change may change the counts
        if (restoreRuleLine(staged, current, rec, opts, memo, refs) !== 'X') refCounts = undefined;
      } else {
        throw plainError(`${prog}: line ${lineNo} failed`, line);
      }
    }
    lineNo = script.count;
    if (current !== undefined) throw plainError(`${prog}: COMMIT expected at line ${lineNo + 1}`);
  } catch (e) {
    return toFailure(e, prog, lineNo);
  }
  return { ok: true };
}

const NO_WORDS: readonly string[] = [];

/** One line of a payload that is not blank or a comment, with its fgets line number. */
interface RestoreLine {
  /** without its line end (and a CR before it) */
  readonly text: string;
  readonly lineNo: number;
  /** what the fast path made of it (false: not a fast line), once asked */
  fast?: ParsedAppend | false;
  /** a chain line's words, once split */
  chainWords?: readonly string[];
}

interface RestoreScript {
  readonly lines: readonly RestoreLine[];
  /** how many lines the payload has, blank ones included */
  readonly count: number;
}

/**
 * Payloads split into lines (and their fast rule lines parsed), by their text, kept across
 * restores: every node's kube-proxy writes the same payload when no service depends on the node
 * (and every sync after an edit writes it again). A restore's effect depends only on the tables
 * and the text, so a payload seen before skips the cutting, the lookups and the parsing of its
 * lines. Bounded by the text held; started over when full.
 */
const restoreScripts = new Map<string, RestoreScript>();
let restoreScriptChars = 0;
const RESTORE_SCRIPT_CHARS = 1 << 24;

function restoreScript(payload: string): RestoreScript {
  const known = restoreScripts.get(payload);
  if (known) return known;
  const lines: RestoreLine[] = [];
  let count = 0;
  // fgets line numbering: a final newline does not start another line
  const text = payload.endsWith('\n') ? payload.slice(0, -1) : payload;
  for (let start = 0; start <= text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const raw = text.slice(start, end);
    start = end + 1;
    count++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const first = line.charCodeAt(0);
    // blank (only whitespace) or a comment; `trim` only when the line starts with a space
    if (line === '' || first === 0x23 || (isSpaceLike(first) && line.trim() === '')) continue;
    lines.push({ text: line, lineNo: count });
  }
  const script = { lines, count };
  if (payload.length <= RESTORE_SCRIPT_CHARS) {
    if (restoreScriptChars + payload.length > RESTORE_SCRIPT_CHARS) {
      restoreScripts.clear();
      restoreScriptChars = 0;
    }
    restoreScripts.set(payload, script);
    restoreScriptChars += payload.length;
  }
  return script;
}

/** Characters `String.prototype.trim` strips that may start a blank line (ASCII whitespace, NBSP, …). */
function isSpaceLike(c: number): boolean {
  return c <= 0x20 || c >= 0x80;
}

/** The chain line kube-proxy writes for each of its chains, after the colon. */
const USER_CHAIN_TAIL = ' - [0:0]';

/** A `:` line's words (name, policy, counters), split once per payload line. */
function chainLineWords(rec: RestoreLine): readonly string[] {
  if (rec.chainWords) return rec.chainWords;
  const rest = rec.text.slice(1);
  // `NAME - [0:0]` split without trim and a regex (a sync has one such line per chain)
  const plainName = rest.endsWith(USER_CHAIN_TAIL) ? rest.slice(0, -USER_CHAIN_TAIL.length) : '';
  const plain = plainName !== '' && !hasWhitespace(plainName);
  return (rec.chainWords = plain ? [plainName, '-', '[0:0]'] : rest.trim().split(/\s+/));
}

function restoreChainLine(table: Table, rec: RestoreLine, opts: RestoreOptions, prog: string): void {
  const { lineNo } = rec;
  /** the line after its colon, as the messages quote it */
  const rest = (): string => rec.text.slice(1);
  const [name, policy, ctrs] = chainLineWords(rec);
  if (name === undefined || name === '') throw paramError(`${prog}: line ${lineNo} chain name invalid`, rest());
  if (name.length >= 29) throw paramError(`Invalid chain name \`${name}' (28 chars max)`, name);
  const existing = table.get(name);
  if (!existing || !isBuiltinChain(existing)) {
    if (existing && opts.noflush) putChain(table, { ...existing, rules: [] });
    else if (existing) throw paramError(`error creating chain '${name}':File exists`, name);
    else putChain(table, { name, policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
  }
  if (policy === undefined) throw paramError(`${prog}: line ${lineNo} policy invalid`, rest());
  if (policy === '-') return;
  let counters = { pkts: 0, bytes: 0 };
  if (opts.counters) {
    const m = ctrs === undefined ? null : COUNTERS_RE.exec(ctrs);
    if (!m) throw paramError(`invalid policy counters for chain '${name}'`, rest());
    counters = { pkts: Number(m[1]), bytes: Number(m[2]) };
  }
  const chain = table.get(name);
  if (!chain || !isBuiltinChain(chain)) {
    throw paramError(`Can't set policy \`${policy}' on \`${name}' line ${lineNo}: Bad built-in chain name`, name);
  }
  if (policy !== 'ACCEPT' && policy !== 'DROP') {
    throw paramError(`Can't set policy \`${policy}' on \`${name}' line ${lineNo}: Bad policy name`, policy);
  }
  putChain(table, { ...chain, policy, policyCounters: counters });
}

function restoreRuleLine(
  staged: Tables,
  table: TableName,
  rec: RestoreLine,
  opts: RestoreOptions,
  memo: RestoreMemo,
  refs: () => ReadonlyMap<string, number>,
): IptablesVerb {
  const line = rec.text;
  let rest = line;
  let counters: readonly string[] = NO_WORDS;
  // xshared.c tokenize_rule_counters: a leading `[p:b]` becomes `--set-counters p b`
  if (line.charCodeAt(0) === 0x5b /* [ */) {
    const m = /^\[(\d+):(\d+)\]\s*/.exec(line);
    if (!m) throw paramError('Bad line: need ]', line);
    rest = line.slice(m[0].length);
    if (opts.counters) counters = ['--set-counters', m[1] ?? '0', m[2] ?? '0'];
  }
  const fast = counters.length === 0 && (rec.fast ??= parsedAppends.get(rest) ?? parseAppendFast(staged[table], rest, memo));
  if (fast) {
    // execute's `-A`, with the chain of the previous `-A` line (most come in runs) kept
    const t = staged[table];
    let chain = memo.appendTo;
    if (!chain || memo.appendTable !== t || chain.name !== fast.chain) {
      chain = memo.appendTo = needWritableChain(t, fast.chain);
      memo.appendTable = t;
    }
    // a rule of its own for this table: the parsed parts are shared, the counters are not
    const rule = fastRule(fast.rule.src, fast.rule.dst, fast.rule.proto, fast.rule.matches, fast.rule.target);
    checkRuleInTable(t, table, chain, rule);
    chain.rules.push(rule);
    return 'A';
  }
  memo.appendTo = undefined;
  const words = tokenizeRestoreLine(rest);
  if (words.includes('-t') || words.includes('--table')) {
    throw paramError('The -t option cannot be used in iptables-restore.', line);
  }
  const cmd = parseCommandShared(['-t', table, ...counters, ...words]);
  execute(staged, cmd, cmd.verb === 'X' ? refs : undefined);
  return cmd.verb;
}


// ---------------------------------------------------------------------------------------------
// The fast path for kube-proxy's rule lines

/**
 * Objects a restore has built for what kube-proxy repeats thousands of times (`-p tcp`, `-m tcp
 * --dport 80`, the same few probabilities, `-j KUBE-MARK-MASQ`, a pod's address, a comment on
 * the rules of one chain), found by key so that finding one costs less than building it. Rules
 * are never changed in place (only their counters, which are not shared), so they may share
 * these; sharing also keeps a synced table a third smaller, which is most of a sync's garbage
 * collection.
 */
interface RestoreMemo {
  readonly protos: Map<ProtoName, NonNullable<Rule['proto']>>;
  /** per protocol, by destination port (-1: no port) */
  readonly ports: Map<ProtoName, Map<number, Match>>;
  /** by the stored probability */
  readonly statistics: Map<number, Match>;
  /** `--probability` text → the stored value */
  readonly probabilities: Map<string, number>;
  /** `-s`/`-d` text → addrMatch of it, not negated and negated (null: matches everything) */
  readonly addrs: Map<string, AddrMatch | null>;
  readonly negAddrs: Map<string, AddrMatch | null>;
  /** by comment text; cleared now and then, since repeats come close together */
  readonly comments: Map<string, Match>;
  /** `-j CHAIN` by chain name (cleared now and then), `-j DNAT --to-destination` (with a protocol) by its text */
  readonly jumps: Map<string, Target>;
  readonly dnats: Map<string, Target>;
  readonly standard: { readonly [T in 'ACCEPT' | 'DROP' | 'RETURN' | 'none']: Target };
  /** a rule's match list when it holds one match (by that match), and the empty list */
  readonly singleMatches: Map<Match, readonly Match[]>;
  readonly noMatches: readonly Match[];
  /** the chain of the previous `-A` line (lines of one chain come together) */
  lastChain: string;
  /**
   * this transaction's copy of that chain, in that table, while only fast `-A` lines have run
   * since (any other line may replace or rename it)
   */
  appendTo: Chain | undefined;
  appendTable: Table | undefined;
  readonly scan: LineScanner;
}

const newRestoreMemo = (): RestoreMemo => ({
  protos: new Map(),
  ports: new Map(),
  statistics: new Map(),
  probabilities: new Map(),
  addrs: new Map(),
  negAddrs: new Map(),
  comments: new Map(),
  jumps: new Map(),
  dnats: new Map(),
  standard: { ACCEPT: { t: 'ACCEPT' }, DROP: { t: 'DROP' }, RETURN: { t: 'RETURN' }, none: { t: 'none' } },
  singleMatches: new Map(),
  noMatches: [],
  lastChain: '',
  appendTo: undefined,
  appendTable: undefined,
  scan: new LineScanner(),
});

/** A rule line the fast path parsed: its chain and its rule (whose counters are never used). */
interface ParsedAppend {
  readonly chain: string;
  readonly rule: Rule;
}

/**
 * parseAppendFast's answers by line text, kept across restores: every node's kube-proxy writes
 * nearly the same payload (only node-local lines differ), so a 100-node cluster would otherwise
 * parse each line 100 times. What a line parses to depends on the line alone (the chain table is
 * only consulted for string identity), and a parsed rule is immutable but for its counters, so
 * each use takes the parsed parts into a new Rule with counters of its own. Bounded by the text
 * it holds; started over when full.
 */
const parsedAppends = new Map<string, ParsedAppend>();
let parsedAppendChars = 0;
const PARSED_APPEND_CHARS = 1 << 24;

function rememberAppend(line: string, parsed: ParsedAppend): void {
  if (parsedAppendChars + line.length > PARSED_APPEND_CHARS) {
    parsedAppends.clear();
    parsedAppendChars = 0;
  }
  parsedAppends.set(line, parsed);
  parsedAppendChars += line.length;
}

/** How many comment texts and jump targets the memo keeps before starting over. */
const COMMENT_MEMO_SIZE = 256;
const JUMP_MEMO_SIZE = 256;

/**
 * The words of a line that splitPlainLine would split (single spaces, quotes only around whole
 * words, no tabs or backslashes), one at a time as index ranges into the line, so that only the
 * words a rule keeps become strings. `bad` is set when the line is not of that kind.
 */
class LineScanner {
  line = '';
  /** the current word is line[start, end) (without its quotes) */
  start = 0;
  end = 0;
  bad = false;
  private pos = 0;
  /** the first `"` at or after pos (-1: none left) */
  private quote = -1;

  reset(line: string): boolean {
    this.line = line;
    this.pos = 0;
    this.bad = line === '' || NOT_PLAIN_RE.test(line);
    this.quote = this.bad ? -1 : line.indexOf('"');
    return !this.bad;
  }

  /** Moves to the next word; false at the end of the line or when the line is not plain. */
  next(): boolean {
    const line = this.line;
    const n = line.length;
    const i = this.pos;
    if (this.bad || i >= n) return false;
    if (i === this.quote) {
      // a quoted word: ends at the next quote, which ends the word (a space or the line's end)
      const close = line.indexOf('"', i + 1);
      if (close < 0 || (close !== n - 1 && line.charCodeAt(close + 1) !== SPACE)) return this.fail();
      this.start = i + 1;
      this.end = close;
      this.pos = close + 2;
      this.quote = line.indexOf('"', close + 1);
      return true;
    }
    const sp = line.indexOf(' ', i);
    const end = sp < 0 ? n : sp;
    // a quote inside a word (not at its start) is not plain
    if (this.quote >= 0 && this.quote < end) return this.fail();
    this.start = i;
    this.end = end;
    this.pos = end + 1;
    return true;
  }

  private fail(): false {
    this.bad = true;
    return false;
  }

  /** The current word is `s`. */
  is(s: string): boolean {
    return this.end - this.start === s.length && this.line.startsWith(s, this.start);
  }

  /** The current word as one of the options the fast path knows (undefined: another word). */
  option(): '-s' | '-d' | '-p' | '-m' | '-j' | FastOption | undefined {
    const { line, start } = this;
    if (line.charCodeAt(start) !== 0x2d /* - */) return undefined;
    if (this.end - start === 2) {
      switch (line.charCodeAt(start + 1)) {
        case 0x73:
          return '-s';
        case 0x64:
          return '-d';
        case 0x70:
          return '-p';
        case 0x6d:
          return '-m';
        case 0x6a:
          return '-j';
        default:
          return undefined;
      }
    }
    for (const o of FAST_OPTIONS) if (this.is(o)) return o;
    return undefined;
  }

  text(): string {
    return this.line.slice(this.start, this.end);
  }

  /** The current word is one the fast path must leave to the general parser: a getopt bundle or `-t`. */
  special(): boolean {
    const { line, start, end } = this;
    const n = end - start;
    if (n < 2 || line.charCodeAt(start) !== 0x2d /* - */) return false;
    if (n === 2) return line.charCodeAt(start + 1) === 0x74 /* t */;
    if (n === 7 && line.startsWith('--table', start)) return true;
    // isBundle in place: `-[nvx]+` and a last letter
    for (let i = start + 1; i < end - 1; i++) {
      const c = line.charCodeAt(i);
      if (c !== 0x6e && c !== 0x76 && c !== 0x78) return false; // n v x
    }
    const last = line.charCodeAt(end - 1) | 0x20; // ASCII letters, either case
    return last >= 0x61 && last <= 0x7a;
  }
}

/** The long options the fast path knows; the extension kind that owns each (no two share a name). */
const FAST_OPTIONS = ['--comment', '--sport', '--dport', '--mode', '--probability', '--to-destination'] as const;
type FastOption = (typeof FAST_OPTIONS)[number];

function fastOptionKind(word: FastOption): 'comment' | 'port' | 'statistic' | 'DNAT' {
  switch (word) {
    case '--comment':
      return 'comment';
    case '--sport':
    case '--dport':
      return 'port';
    case '--mode':
    case '--probability':
      return 'statistic';
    case '--to-destination':
      return 'DNAT';
  }
}

/** A match extension the fast path knows, loaded by `-m`: the state its options fill in. */
type FastMatch =
  | { readonly kind: 'comment'; comment?: Match }
  | { readonly kind: 'tcp' | 'udp' | 'sctp'; sport?: PortMatch; dport?: PortMatch }
  | { readonly kind: 'statistic'; mode?: 'random'; probability?: number };

const fastKind = (e: FastMatch): 'comment' | 'port' | 'statistic' =>
  e.kind === 'tcp' || e.kind === 'udp' || e.kind === 'sctp' ? 'port' : e.kind;

const PROBABILITY_RE = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** `/\s/.test(s)`, with printable ASCII (every chain name) decided without the regex. */
function hasWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return /\s/.test(s);
  }
  return false;
}

/** The build step of the match extensions above, with their errors (any error: fall back). */
function buildFastMatch(e: FastMatch, proto: ProtoName | undefined, memo: RestoreMemo): Match {
  switch (e.kind) {
    case 'comment':
      return e.comment ?? mandatory('comment', 'comment');
    case 'tcp':
    case 'udp':
    case 'sctp': {
      // x_tables.c xt_check_match: the port match needs its own protocol
      if (proto !== e.kind) throw kernelError(EINVAL_TEXT, `-m ${e.kind}`);
      const { kind, sport, dport } = e;
      // shared only in the shapes kube-proxy repeats: no source port, no range
      const shared = !sport && (!dport || dport.from === dport.to);
      let byPort = memo.ports.get(kind);
      if (!byPort) memo.ports.set(kind, (byPort = new Map()));
      const port = dport ? dport.from : -1;
      let m = shared ? byPort.get(port) : undefined;
      if (!m) {
        m = { m: kind, ...(sport && { sport }), ...(dport && { dport }) };
        if (shared) byPort.set(port, m);
      }
      return m;
    }
    case 'statistic': {
      const { mode, probability } = e;
      if (mode === undefined) return mandatory('statistic', 'mode');
      if (probability === undefined) throw paramError('--probability must be specified when using random mode');
      let m = memo.statistics.get(probability);
      if (!m) memo.statistics.set(probability, (m = { m: 'statistic', mode, probability }));
      return m;
    }
  }
}

/** The comment match for `comment`, shared with the rules near it that carry the same one. */
function sharedCommentMatch(memo: RestoreMemo, comment: string): Match {
  let m = memo.comments.get(comment);
  if (!m) {
    if (memo.comments.size >= COMMENT_MEMO_SIZE) memo.comments.clear();
    memo.comments.set(comment, (m = { m: 'comment', comment }));
  }
  return m;
}

/** addrMatch, memoized (the same pod and cluster addresses come back in every chain). */
function fastAddrMatch(memo: RestoreMemo, value: string, neg: boolean): AddrMatch | undefined {
  const known = neg ? memo.negAddrs : memo.addrs;
  let a = known.get(value);
  if (a === undefined) {
    a = addrMatch(value, neg) ?? null;
    known.set(value, a);
  }
  return a ?? undefined;
}

/** The stored `--probability`, memoized by its text (undefined: not a probability). */
function fastProbability(memo: RestoreMemo, value: string): number | undefined {
  let p = memo.probabilities.get(value);
  if (p === undefined) {
    const x = PROBABILITY_RE.test(value) ? Number(value) : NaN;
    if (!(x >= 0 && x <= 1)) return undefined;
    memo.probabilities.set(value, (p = statisticProbability(x)));
  }
  return p;
}

/** `-j CHAIN`: one target object per chain name, holding the chain's own name string when it exists. */
function jumpTarget(memo: RestoreMemo, chains: Table, name: string): Target {
  let t = memo.jumps.get(name);
  if (!t) {
    // the chain's own name string: every later lookup of this jump (the table check, the loop
    // check, each packet's walk) then finds its key by identity
    const dest = chains.get(name);
    t = { t: 'jump', chain: dest && dest.name === name ? dest.name : name };
    if (dest) {
      // kept a short while: the jumps that repeat (KUBE-MARK-MASQ, a service's own chains) come
      // back soon, and a big map costs more to look in than a target costs to make
      if (memo.jumps.size >= JUMP_MEMO_SIZE) memo.jumps.clear();
      memo.jumps.set(name, t);
    }
  }
  return t;
}

/** `-j DNAT --to-destination to`, memoized when the protocol is known (only its presence matters). */
function dnatTarget(memo: RestoreMemo, to: string, proto: ProtoName | undefined): Target {
  let t = proto === undefined ? undefined : memo.dnats.get(to);
  if (!t) {
    const nat = parseNatTo(to, proto);
    t = nat.toPort === undefined ? { t: 'DNAT', toAddr: nat.toAddr } : { t: 'DNAT', toAddr: nat.toAddr, toPort: nat.toPort };
    if (proto !== undefined) memo.dnats.set(to, t);
  }
  return t;
}

/** The rule's match list; the empty and one-match lists are shared. */
function matchList(memo: RestoreMemo, matches: Match[]): readonly Match[] {
  if (matches.length === 0) return memo.noMatches;
  if (matches.length > 1) return matches;
  const only = matches[0]!;
  let list = memo.singleMatches.get(only);
  if (!list) memo.singleMatches.set(only, (list = matches));
  return list;
}

/**
 * The rule object parseSpec builds, keys in its order, each shape written out as one literal so
 * the object is made at its final size (a quarter of a million of them stay in a kube-proxy table).
 */
function fastRule(
  src: AddrMatch | undefined,
  dst: AddrMatch | undefined,
  proto: Rule['proto'],
  matches: readonly Match[],
  target: Target,
): Rule {
  const counters = { pkts: 0, bytes: 0 };
  if (src && dst) return proto ? { src, dst, proto, matches, target, counters } : { src, dst, matches, target, counters };
  if (src) return proto ? { src, proto, matches, target, counters } : { src, matches, target, counters };
  if (dst) return proto ? { dst, proto, matches, target, counters } : { dst, matches, target, counters };
  return proto ? { proto, matches, target, counters } : { matches, target, counters };
}

/**
 * `-A CHAIN …` lines in the shapes kube-proxy writes — `-s`/`-d` (maybe negated), `-p`, `-m
 * comment|tcp|udp|sctp|statistic` with their plain options, `-j CHAIN|ACCEPT|DROP|RETURN|DNAT` —
 * parsed straight from the line into a command, without a words array, a string per word, or
 * the extension objects and option tables of the general parser for each of a sync's hundreds of
 * thousands of lines. It reads the words tokenizeRestoreLine would split (splitPlainLine's kind
 * of line only) and follows parseSpec step by step for these words (the newest loaded extension
 * takes an option, each option once, the same value parsers, builders and checks), and gives up,
 * returning false, on anything else and on anything the general parser would refuse — `-t`
 * included: then the caller tokenizes and parseCommand parses the line and reports the error. So
 * a line it accepts yields exactly the rule parseCommand would have built.
 */
function parseAppendFast(chains: Table, line: string, memo: RestoreMemo): ParsedAppend | false {
  const w = memo.scan;
  if (!w.reset(line) || !w.next() || !w.is('-A') || !w.next() || w.special()) return false;
  // the previous line's chain string when it is the same chain (no new string, its hash known)
  const chain = w.is(memo.lastChain) ? memo.lastChain : (memo.lastChain = w.text());
  let src: AddrMatch | undefined;
  let dst: AddrMatch | undefined;
  let proto: ProtoName | undefined;
  let target: Target | undefined;
  /** `-j DNAT`, a target extension: its `--to-destination` */
  let dnat: { to?: string } | undefined;
  const loaded: FastMatch[] = [];
  let invert = false;
  try {
    while (w.next()) {
      if (w.special()) return false;
      if (w.is('!')) {
        if (invert) return false;
        invert = true;
        continue;
      }
      // the option word, then its value
      const option = w.option();
      if (!w.next() || w.special()) return false;
      if (option === '-s' || option === '-d') {
        if (option === '-s' ? src : dst) return false;
        const a = fastAddrMatch(memo, w.text(), invert);
        if (option === '-s') src = a;
        else dst = a;
        invert = false;
        continue;
      }
      if (invert || option === undefined) return false;
      if (option === '-p') {
        const p = w.is('tcp') ? 'tcp' : w.is('udp') ? 'udp' : own(PROTO_NUMBERS, w.text().toLowerCase());
        if (proto || p === undefined || p === 'all') return false;
        proto = p;
      } else if (option === '-m') {
        if (w.is('comment')) loaded.push({ kind: 'comment' });
        else if (w.is('tcp')) loaded.push({ kind: 'tcp' });
        else if (w.is('udp')) loaded.push({ kind: 'udp' });
        else if (w.is('sctp')) loaded.push({ kind: 'sctp' });
        else if (w.is('statistic')) loaded.push({ kind: 'statistic' });
        else return false;
      } else if (option === '-j') {
        if (target || dnat) return false;
        if (w.is('DNAT')) dnat = {};
        else if (w.is('ACCEPT')) target = memo.standard.ACCEPT;
        else if (w.is('DROP')) target = memo.standard.DROP;
        else if (w.is('RETURN')) target = memo.standard.RETURN;
        else {
          const value = w.text();
          if (value === '' || hasWhitespace(value)) return false;
          // (every target extension's name is short; a long name is a chain without the lookup)
          if (value.length <= MAX_TARGET_NAME && Object.hasOwn(TARGETS, value)) return false;
          target = jumpTarget(memo, chains, value);
        }
      } else {
        const kind = fastOptionKind(option);
        if (kind === 'DNAT') {
          if (!dnat || dnat.to !== undefined) return false;
          dnat.to = w.text();
          continue;
        }
        // getopt's merged option table: the newest loaded extension with the option takes it
        let ext: FastMatch | undefined;
        for (let k = loaded.length - 1; k >= 0 && !ext; k--) if (fastKind(loaded[k]!) === kind) ext = loaded[k];
        if (!ext) return false;
        switch (ext.kind) {
          case 'comment':
            if (ext.comment !== undefined || w.end - w.start > 255) return false;
            ext.comment = sharedCommentMatch(memo, w.text());
            break;
          case 'tcp':
          case 'udp':
          case 'sctp':
            if (option === '--sport') {
              if (ext.sport) return false;
              ext.sport = parsePortRange(w.text(), false);
            } else {
              if (ext.dport) return false;
              ext.dport = parsePortRange(w.text(), false);
            }
            break;
          case 'statistic':
            if (option === '--mode') {
              if (ext.mode || !w.is('random')) return false;
              ext.mode = 'random';
            } else {
              if (ext.probability !== undefined) return false;
              const p = fastProbability(memo, w.text());
              if (p === undefined) return false;
              ext.probability = p;
            }
            break;
        }
      }
    }
    if (w.bad || invert) return false;

    const built: Match[] = [];
    for (const e of loaded) built.push(buildFastMatch(e, proto, memo));
    if (dnat) {
      if (dnat.to === undefined) return false;
      target = dnatTarget(memo, dnat.to, proto);
    }
    let protoMatch = proto === undefined ? undefined : memo.protos.get(proto);
    if (proto !== undefined && !protoMatch) memo.protos.set(proto, (protoMatch = { name: proto, neg: false }));
    const parsed = { chain, rule: fastRule(src, dst, protoMatch, matchList(memo, built), target ?? memo.standard.none) };
    rememberAppend(line, parsed);
    return parsed;
  } catch (e) {
    // a value the general parser refuses: let it say so
    if (e instanceof IptablesError) return false;
    throw e;
  }
}
