import { intToIp, ipToInt, isIpv4, parseCidr, prefixMask, type Cidr, type Ipv4 } from '../net/addr.ts';

/**
 * Reading Kubernetes-style objects field by field: every failure names the object and the
 * field path (`Pod default/web .status.podIP`), the way kubectl's validation errors do, and —
 * when the object came from a file — the line it was written on.
 */

/** Where an object was written: its line and the line of any of its fields (import/decode.ts). */
export interface SourceLines {
  readonly line: number;
  lineOf(path: string): number;
}

/** A mistake in a cluster file: where (object and field) and what. */
export class SpecError extends Error {
  constructor(
    readonly where: string,
    message: string,
    /** the object (`Service default/web`) and field (`spec.ports[0].port`) apart, and the line */
    readonly at?: { readonly object: string; readonly field?: string; readonly line?: number },
  ) {
    super(message);
  }
}

/** `spec.ports.0.port` as the API server writes it: `spec.ports[0].port`. */
export function fieldPath(path: string): string {
  return path.replace(/\.(\d+)(?=\.|\[|$)/g, '[$1]');
}

/** A problem with one object, at a field (optional), with the line when the file says it. */
export function specError(object: string, field: string | undefined, message: string, src?: SourceLines): SpecError {
  const f = field === undefined ? undefined : fieldPath(field);
  const line = src ? (f === undefined ? src.line : src.lineOf(f)) : undefined;
  return new SpecError(f === undefined ? object : `${object} .${f}`, message, { object, ...(f !== undefined ? { field: f } : {}), ...(line !== undefined ? { line } : {}) });
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a field path of one object and says exactly where it was wrong when it is. */
export class Reader {
  constructor(
    readonly where: string,
    readonly o: Obj,
    readonly src?: SourceLines,
  ) {}

  /** `a.b.0.c`; a key that itself holds dots goes in brackets: `data[net-conf.json]` */
  private get(path: string): unknown {
    let cur: unknown = this.o;
    for (const k of path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? []) {
      const key = k.startsWith('[') ? k.slice(1, -1) : k;
      cur = Array.isArray(cur) ? cur[Number(key)] : isObj(cur) && Object.hasOwn(cur, key) ? cur[key] : undefined;
    }
    return cur;
  }

  fail(path: string, message: string): never {
    throw specError(this.where, path, message, this.src);
  }

  str(path: string, dflt?: string): string {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(path, 'is required');
    }
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(path, `must be a string, got ${JSON.stringify(v)}`);
    return String(v);
  }

  optStr(path: string): string | undefined {
    const v = this.get(path);
    return v === undefined || v === null ? undefined : this.str(path);
  }

  num(path: string, dflt?: number): number {
    const v = this.get(path);
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(path, 'is required');
    }
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) this.fail(path, `must be an integer, got ${JSON.stringify(v)}`);
    return n;
  }

  bool(path: string, dflt: boolean): boolean {
    const v = this.get(path);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') this.fail(path, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  ip(path: string): Ipv4 {
    const v = this.str(path);
    if (!isIpv4(v)) this.fail(path, `"${v}" is not an IPv4 address`);
    return v;
  }

  cidr(path: string): Cidr {
    const v = this.str(path);
    try {
      const p = parseCidr(v);
      if (!v.includes('/')) throw new Error();
      return `${v.split('/')[0]}/${p.len}` as Cidr;
    } catch {
      this.fail(path, `"${v}" is not an IPv4 prefix (a.b.c.d/len)`);
    }
  }

  list(path: string): Obj[] {
    const v = this.get(path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list');
    return v.map((x, i) => {
      if (!isObj(x)) this.fail(`${path}[${i}]`, 'must be an object');
      return x;
    });
  }

  ips(path: string): Ipv4[] {
    const v = this.get(path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list of addresses');
    return v.map((_, k) => this.ip(`${path}.${k}`));
  }

  /** a map of strings (labels, annotations, selectors): a nested value is refused, not stored as "[object Object]" */
  map(path: string): Record<string, string> {
    const v = this.get(path);
    if (v === undefined || v === null) return {};
    if (!isObj(v)) this.fail(path, `must be a map of strings, got ${JSON.stringify(v)?.slice(0, 80)}`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'number' || typeof x === 'boolean') this.fail(`${path}[${k}]`, `Invalid value: ${JSON.stringify(x)}: must be a string (quote it: "${String(x)}")`);
      if (typeof x !== 'string') this.fail(`${path}[${k}]`, `Invalid value: ${x === null ? 'null' : Array.isArray(x) ? 'a list' : 'a map'}: must be a string`);
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  has(path: string): boolean {
    const v = this.get(path);
    return v !== undefined && v !== null;
  }

  optIp(path: string): Ipv4 | undefined {
    return this.has(path) ? this.ip(path) : undefined;
  }

  /** a list of anything (strings, objects) */
  items(path: string): unknown[] {
    const v = this.get(path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list');
    return v;
  }

  /** `a.b.c.d/len`, keeping the address as written (an interface address, not only a prefix) */
  addrLen(path: string): { address: Ipv4; prefixLen: number } {
    const v = this.str(path);
    const [a, l, extra] = v.split('/');
    if (a === undefined || !isIpv4(a) || l === undefined || !/^\d{1,2}$/.test(l) || Number(l) > 32 || extra !== undefined) {
      this.fail(path, `"${v}" is not an address with a prefix length (a.b.c.d/len)`);
    }
    return { address: a, prefixLen: Number(l) };
  }

  /** a subnet: host bits must be zero, as `docker network create --subnet` requires */
  subnet(path: string): Cidr {
    const { address, prefixLen } = this.addrLen(path);
    const net = (ipToInt(address) & prefixMask(prefixLen)) >>> 0;
    if (net !== ipToInt(address)) this.fail(path, `"${address}/${prefixLen}" has host bits set; the subnet is ${intToIp(net)}/${prefixLen}`);
    return `${address}/${prefixLen}` as Cidr;
  }

  oneOf<T extends string>(path: string, allowed: readonly T[], dflt: T): T {
    const v = this.str(path, dflt);
    if (!allowed.includes(v as T)) this.fail(path, `"${v}" is not one of ${allowed.join(', ')}`);
    return v as T;
  }
}
