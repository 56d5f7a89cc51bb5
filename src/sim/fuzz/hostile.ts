import fc from 'fast-check';
import type { Trace } from '../trace/event.ts';

/** The fuzz suite's fixed seed: the same runs every time, so a failure reproduces. */
export const FUZZ_SEED = 13;

/** Values a careless user or an attacker puts where a field should be. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1e15, 70000, 4294967296, Number.MAX_SAFE_INTEGER, 0.5, NaN, null, true, '', '0', '-1', '1e2', '255.255.255.255', '0.0.0.0', '127.0.0.1', '224.0.0.1', '10.42.0.255', '10.42.0.0', '__proto__', 'constructor', 'toString', '\u001b[2J\u001b]0;x\u0007', 'a'.repeat(70_000), '10.42.0.0/33', 'ff:ff:ff:ff:ff:ff', [], {}, { a: { b: 1 } }, [1, 'x']),
  fc.integer(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Every path to a leaf of a JSON document, as keys. */
export function leafPaths(doc: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(doc)) return doc.flatMap((v, i) => leafPaths(v, [...prefix, i])).concat(prefix.length ? [prefix] : []);
  if (doc && typeof doc === 'object') return Object.entries(doc).flatMap(([k, v]) => leafPaths(v, [...prefix, k])).concat(prefix.length ? [prefix] : []);
  return [prefix];
}

/** A copy of `doc` with the value at `path` replaced (own properties only, never a prototype). */
export function setPath(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  if (Array.isArray(doc)) return doc.map((v, i) => (i === k ? setPath(v, rest, value) : v));
  if (doc === undefined || doc === null || typeof doc === 'object') {
    const out: Record<string, unknown> = {};
    const entries = doc && typeof doc === 'object' ? Object.entries(doc) : [];
    if (!entries.some(([key]) => key === k)) entries.push([String(k), undefined]);
    for (const [key, v] of entries) Object.defineProperty(out, key, { value: key === String(k) ? setPath(v, rest, value) : v, enumerable: true, writable: true, configurable: true });
    return out;
  }
  return doc;
}

/** What every trace must be: bounded, and every packet delivered or dropped with a reason. */
export function assertTraceInvariants(t: Trace): void {
  if (t.packets.length === 0) throw new Error('a trace with no packet');
  if (t.events.length > 5000) throw new Error(`a trace of ${t.events.length} events: a walk is not bounded`);
  for (const p of t.packets) {
    if (p.verdict !== 'delivered' && p.verdict !== 'dropped') throw new Error(`packet ${p.packetId} ends "${String(p.verdict)}"`);
    if (p.verdict === 'dropped' && !p.reason) throw new Error(`packet ${p.packetId} (${p.role}) was dropped with no reason`);
  }
  if (t.verdict === 'dropped' && !t.reason) throw new Error('the trace was dropped with no reason');
}
