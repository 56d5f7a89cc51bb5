/**
 * Addresses as the kernel and `ip` print them. Branded so that an address, a prefix and a MAC
 * cannot be mixed up; the numeric forms are what lookups compare.
 */
export type Ipv4 = string & { readonly __brand: 'Ipv4' };
export type Cidr = string & { readonly __brand: 'Cidr' };
export type Mac = string & { readonly __brand: 'Mac' };

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function isIpv4(s: string): s is Ipv4 {
  return IPV4_RE.test(s);
}

/** Parses a dotted quad; throws with the offending text so callers can name where it came from. */
export function ipv4(s: string): Ipv4 {
  if (!isIpv4(s)) throw new Error(`"${s}" is not an IPv4 address`);
  return s;
}

export function ipToInt(ip: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return n * 256 + part;
}

export function intToIp(n: number): Ipv4 {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` as Ipv4;
}

/** Netmask for a prefix length as an unsigned 32-bit number (0 for /0). */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export interface Prefix {
  /** network address as uint32, already masked */
  readonly net: number;
  readonly len: number;
  readonly mask: number;
}

/** Parses `a.b.c.d/len` (or a bare address as /32). Host bits are masked off, as `ip route` does. */
export function parseCidr(s: string): Prefix {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? '32' : s.slice(slash + 1);
  if (!isIpv4(addr) || !/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw new Error(`"${s}" is not an IPv4 prefix (a.b.c.d/len)`);
  }
  const len = Number(lenText);
  const mask = prefixMask(len);
  return { net: (ipToInt(addr) & mask) >>> 0, len, mask };
}

export function cidr(s: string): Cidr {
  const p = parseCidr(s);
  return `${intToIp(p.net)}/${p.len}` as Cidr;
}

export function prefixContains(p: Prefix, ip: number): boolean {
  return ((ip & p.mask) >>> 0) === p.net;
}

export function cidrContains(c: string, ip: string): boolean {
  return prefixContains(parseCidr(c), ipToInt(ip));
}

export function prefixToString(p: Prefix): Cidr {
  return `${intToIp(p.net)}/${p.len}` as Cidr;
}

/** Dotted netmask, as `route -n` prints Genmask. */
export function maskToDotted(len: number): Ipv4 {
  return intToIp(prefixMask(len));
}

export function isMac(s: string): s is Mac {
  return MAC_RE.test(s);
}

export function mac(s: string): Mac {
  const lower = s.toLowerCase();
  if (!isMac(lower)) throw new Error(`"${s}" is not a MAC address`);
  return lower;
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff' as Mac;

export function macToBytes(m: Mac): number[] {
  return m.split(':').map((h) => parseInt(h, 16));
}

/** The broadcast address of a prefix, as `ip addr` prints after `brd`. */
export function broadcastOf(p: Prefix): Ipv4 {
  return intToIp((p.net | (~p.mask >>> 0)) >>> 0);
}
