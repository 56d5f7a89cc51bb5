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
      return isIpv4(text) ? single(ipToInt(text)) : `Could not resolve hostname: ${text}`;
    }
    case 'inet_proto': {
      const n = PROTOCOLS[text] ?? (/^\d+$/.test(text) ? Number(text) : NaN);
      return Number.isInteger(n) && n >= 0 && n <= 255 ? single(n) : `Could not parse Internet protocol: ${text}`;
    }
    case 'inet_service':
      return parseRange(text, 0xffff, (t) => SERVICES[t], 'Could not resolve service');
    case 'mark':
    case 'integer':
      return parseRange(text, 0xffffffff, () => undefined, 'Could not parse integer');
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

function parseRange(text: string, max: number, named: (t: string) => number | undefined, what: string): NftConst | string {
  const num = (t: string): number => named(t) ?? (/^0x[0-9a-f]+$/i.test(t) || /^\d+$/.test(t) ? Number(t) : NaN);
  const dash = text.indexOf('-', 1);
  const lo = num(dash > 0 ? text.slice(0, dash) : text);
  const hi = dash > 0 ? num(text.slice(dash + 1)) : lo;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > max) return `${what}: ${text}`;
  if (lo > hi) return 'Range has zero or negative size';
  return { lo, hi };
}

/** How nft prints a constant of `type` (datatype print functions). */
export function printConst(type: NftType, c: NftConst): string {
  if (c.s !== undefined) return type === 'ifname' ? `"${c.s}"` : c.s;
  const one = (n: number): string => {
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
  };
  if (c.len !== undefined && c.len < 32 && type === 'ipv4_addr') return `${intToIp(c.lo)}/${c.len}`;
  return c.lo === c.hi ? one(c.lo) : `${one(c.lo)}-${one(c.hi)}`;
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

/** Bytes of one key component as the kernel stores it (big-endian network types, host-order others). */
function componentBytes(type: NftType, c: NftConst): number[] {
  const be = (n: number, width: number) => Array.from({ length: width }, (_, i) => (n >>> ((width - 1 - i) * 8)) & 0xff);
  switch (type) {
    case 'ipv4_addr':
      return be(c.lo, 4);
    case 'inet_proto':
      return [c.lo & 0xff];
    case 'inet_service':
      return be(c.lo, 2);
    default:
      // host byte order (little-endian here): mark, integer, ct_state
      return be(c.lo, 4).reverse();
  }
}

/**
 * The order `nft list` prints a set's elements in (netlink_list_setelems → list_expr_sort,
 * mergesort.c): by value; a concatenation's components are exported byte by byte and the bytes
 * compared as one host-endian (little-endian) number, so the last byte of the key weighs most —
 * which is why a verdict map of `ip . proto . port` keys comes out ordered by the port's low byte.
 */
export function compareElements(types: readonly NftType[], a: NftElement, b: NftElement): number {
  if (types.length === 1) {
    const x = a.key[0]!;
    const y = b.key[0]!;
    if (x.s !== undefined || y.s !== undefined) return (x.s ?? '') < (y.s ?? '') ? -1 : (x.s ?? '') > (y.s ?? '') ? 1 : 0;
    return x.lo - y.lo || x.hi - y.hi;
  }
  const ab = types.flatMap((t, i) => componentBytes(t, a.key[i]!));
  const bb = types.flatMap((t, i) => componentBytes(t, b.key[i]!));
  for (let i = Math.max(ab.length, bb.length) - 1; i >= 0; i--) {
    const d = (ab[i] ?? 0) - (bb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
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
