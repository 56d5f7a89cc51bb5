import { intToIp, ipToInt, isIpv4 } from '../../net/addr.ts';
import type { NftConst, NftElement, NftType } from './types.ts';

// nft's datatypes (src/datatype.c, proto.c, meta.c, ct.c, fib.c): how a constant is written,
// parsed and printed, and how set elements are ordered when `nft list` prints them.

export const NFT_TYPES: readonly NftType[] = ['ipv4_addr', 'ipv6_addr', 'inet_proto', 'inet_service', 'mark', 'ifname', 'integer', 'ct_state', 'fib_addrtype', 'verdict'];

export function isNftType(s: string): s is NftType {
  return (NFT_TYPES as readonly string[]).includes(s);
}

/** /etc/protocols names nft prints for `meta l4proto` / inet_proto values. */
const PROTOCOLS: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, sctp: 132 };
const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOLS).map(([k, v]) => [v, k]));

/** A few /etc/services names nft accepts for ports (it prints them as numbers). */
const SERVICES: Readonly<Record<string, number>> = { ssh: 22, domain: 53, http: 80, https: 443 };
const serviceNumber = (t: string): number | undefined => SERVICES[t];
const noName = (): undefined => undefined;

/** ct.c ct_state_tbl: the bits of `ct state`, in the order nft prints a combination. */
export const CT_STATE_BITS: readonly (readonly [string, number])[] = [
  ['invalid', 1],
  ['established', 2],
  ['related', 4],
  ['new', 8],
  ['untracked', 64],
];

/** fib.c addrtype_tbl (RTN_*). */
export const FIB_ADDRTYPES = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit'] as const;

export const single = (n: number): NftConst => ({ lo: n, hi: n });

/** A dotted quad as a number, or -1 (read character by character: sets are loaded by the ten thousand). */
function dottedQuad(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if ((digits > 0 && part === 0) || ++digits > 3) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + part : -1;
}

/** Parses one constant of `type`; a string says what is wrong with it. */
export function parseConst(type: NftType, text: string): NftConst | string {
  switch (type) {
    case 'ipv4_addr': {
      const slash = text.indexOf('/');
      if (slash > 0) {
        const base = text.slice(0, slash);
        const len = Number(text.slice(slash + 1));
        if (!isIpv4(base) || !Number.isInteger(len) || len < 0 || len > 32) return `Could not resolve hostname: ${text}`;
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        const lo = (ipToInt(base) & mask) >>> 0;
        return { lo, hi: (lo | (~mask >>> 0)) >>> 0, len };
      }
      const dash = text.indexOf('-');
      if (dash > 0) {
        const a = text.slice(0, dash);
        const b = text.slice(dash + 1);
        if (!isIpv4(a) || !isIpv4(b)) return `Could not resolve hostname: ${text}`;
        const lo = ipToInt(a);
        const hi = ipToInt(b);
        if (lo > hi) return 'Range has zero or negative size';
        return { lo, hi };
      }
      const n = dottedQuad(text);
      return n >= 0 ? single(n) : `Could not resolve hostname: ${text}`;
    }
    case 'inet_proto': {
      const n = PROTOCOLS[text] ?? (/^\d+$/.test(text) ? Number(text) : NaN);
      return Number.isInteger(n) && n >= 0 && n <= 255 ? single(n) : `Could not parse Internet protocol: ${text}`;
    }
    case 'inet_service':
      return parseRange(text, 0xffff, serviceNumber, 'Could not resolve service');
    case 'mark':
    case 'integer':
      return parseRange(text, 0xffffffff, noName, 'Could not parse integer');
    case 'ifname':
      return { lo: 0, hi: 0, s: text.replace(/^"(.*)"$/, '$1') };
    case 'ipv6_addr':
      return text.includes(':') ? { lo: 0, hi: 0, s: text } : `Could not resolve hostname: ${text}`;
    case 'ct_state': {
      let bits = 0;
      for (const name of text.split(',')) {
        const b = CT_STATE_BITS.find(([n]) => n === name.trim())?.[1];
        if (b === undefined) return `Could not parse conntrack state: ${name}`;
        bits |= b;
      }
      return single(bits);
    }
    case 'fib_addrtype': {
      const n = (FIB_ADDRTYPES as readonly string[]).indexOf(text);
      return n >= 0 ? single(n) : `Could not parse fib address type: ${text}`;
    }
    case 'verdict':
      return 'a verdict is not a constant';
  }
}

function numberOf(t: string, named: (t: string) => number | undefined): number {
  return named(t) ?? (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t) ? Number(t) : NaN);
}

function parseRange(text: string, max: number, named: (t: string) => number | undefined, what: string): NftConst | string {
  const dash = text.indexOf('-', 1);
  const lo = numberOf(dash > 0 ? text.slice(0, dash) : text, named);
  const hi = dash > 0 ? numberOf(text.slice(dash + 1), named) : lo;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > max) return `${what}: ${text}`;
  if (lo > hi) return 'Range has zero or negative size';
  return { lo, hi };
}

/** One value of `type` as nft prints it. */
function printOne(type: NftType, n: number): string {
  switch (type) {
    case 'ipv4_addr':
      return intToIp(n);
    case 'inet_proto':
      return PROTOCOL_NAMES.get(n) ?? String(n);
    case 'mark':
      return `0x${n.toString(16).padStart(8, '0')}`;
    case 'fib_addrtype':
      return FIB_ADDRTYPES[n] ?? String(n);
    case 'ct_state':
      return CT_STATE_BITS.filter(([, b]) => (n & b) !== 0).map(([name]) => name).join(',') || `0x${n.toString(16)}`;
    default:
      return String(n);
  }
}

/** How nft prints a constant of `type` (datatype print functions). */
export function printConst(type: NftType, c: NftConst): string {
  if (c.s !== undefined) return type === 'ifname' ? `"${c.s}"` : c.s;
  if (c.len !== undefined && c.len < 32 && type === 'ipv4_addr') return `${intToIp(c.lo)}/${c.len}`;
  return c.lo === c.hi ? printOne(type, c.lo) : `${printOne(type, c.lo)}-${printOne(type, c.hi)}`;
}

/** The canonical text of a key, as the element Map is keyed: exact lookups build the same text. */
export function elementKey(key: readonly NftConst[]): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    const part = c.s ?? (c.lo === c.hi ? String(c.lo) : `${c.lo}-${c.hi}`);
    out = i === 0 ? part : `${out}.${part}`;
  }
  return out;
}

/** Appends one key component's bytes as the kernel stores it (big-endian network types, host order others). */
function pushBytes(out: number[], type: NftType, c: NftConst): void {
  const n = c.lo;
  switch (type) {
    case 'ipv4_addr':
      out.push(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
      return;
    case 'inet_proto':
      out.push(n & 0xff);
      return;
    case 'inet_service':
      out.push((n >>> 8) & 0xff, n & 0xff);
      return;
    default:
      // host byte order (little-endian here): mark, integer, ct_state
      out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
}

/**
 * The order `nft list` prints a set's elements in (netlink_list_setelems → list_expr_sort,
 * mergesort.c): by value; a concatenation's components are exported byte by byte and the bytes
 * compared as one host-endian (little-endian) number, so the last byte of the key weighs most —
 * which is why a verdict map of `ip . proto . port` keys comes out ordered by the port's low byte.
 * Each element's sort key is built once.
 */
export function sortElements(types: readonly NftType[], elements: Iterable<NftElement>): NftElement[] {
  const keyed: { e: NftElement; lo: number; hi: number; s: string }[] = [];
  for (const e of elements) {
    if (types.length === 1) {
      const c = e.key[0]!;
      keyed.push({ e, lo: c.lo, hi: c.hi, s: c.s ?? '' });
      continue;
    }
    const bytes: number[] = [];
    types.forEach((t, i) => pushBytes(bytes, t, e.key[i]!));
    keyed.push({ e, lo: 0, hi: 0, s: String.fromCharCode(...bytes.reverse()) });
  }
  keyed.sort((a, b) => a.lo - b.lo || a.hi - b.hi || (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  return keyed.map((k) => k.e);
}

/** nft's time_print: `3h`, `2h59m59s990ms`. */
export function printTime(ms: number): string {
  const parts: [number, string][] = [
    [Math.floor(ms / 86_400_000), 'd'],
    [Math.floor((ms % 86_400_000) / 3_600_000), 'h'],
    [Math.floor((ms % 3_600_000) / 60_000), 'm'],
    [Math.floor((ms % 60_000) / 1000), 's'],
    [ms % 1000, 'ms'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join('') || '0s';
}

/** nft's time_parse: `10800s`, `3h`, `1d2h`, `500ms` (a bare number is seconds). */
export function parseTime(text: string): number | string {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    ms += m[2] === 'd' ? n * 86_400_000 : m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    at = re.lastIndex;
  }
  return at === text.length && at > 0 ? ms : `Wrong time format: ${text}`;
}
