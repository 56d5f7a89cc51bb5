import { encode, fieldSpans, type FieldSpan } from './encode.ts';
import type { FieldChange, Layer, Packet } from './packet.ts';

/**
 * What a step changed in a packet, read off the bytes: every field — the model's own and those
 * `encode` derives (lengths, checksums) — whose bytes differ between the packet before and
 * after. Layers are matched from the innermost outwards, so an encapsulation's new outer
 * headers count as added and the frame they carry keeps its identity.
 */
export function fieldChanges(before: Packet | undefined, after: Packet): FieldChange[] {
  let a: Uint8Array;
  let b: Uint8Array | undefined;
  try {
    a = encode(after);
    b = before ? encode(before) : undefined;
  } catch {
    return [];
  }
  const spansA = fieldSpans(after);
  const spansB = before ? fieldSpans(before) : [];
  const shift = before ? before.length - after.length : 0;
  const out: FieldChange[] = [];
  for (const s of spansA) {
    if (!comparable(s.field)) continue;
    const layer = after[s.layer]!;
    const j = s.layer + shift;
    const old = before && b && j >= 0 && j < before.length && before[j]!.type === layer.type ? before[j]! : undefined;
    const to = fieldValue(layer, s, a);
    if (!old) {
      if (before) out.push({ layer: s.layer, field: s.field, to });
      continue;
    }
    const t = spansB.find((x) => x.layer === j && x.field === s.field);
    if (t && t.length === s.length && sameBytes(a, s, b!, t)) continue;
    out.push({ layer: s.layer, field: s.field, from: t ? fieldValue(old, t, b!) : undefined, to });
  }
  return out;
}

/** Option bytes, reserved and unused bits are covered by their enclosing field or by nothing a reader follows. */
function comparable(field: string): boolean {
  return !/^options\[\d+\]$/.test(field) && !field.startsWith('reserved') && field !== 'unused';
}

function sameBytes(a: Uint8Array, s: FieldSpan, b: Uint8Array, t: FieldSpan): boolean {
  for (let k = 0; k < s.length; k++) if (a[s.offset + k] !== b[t.offset + k]) return false;
  return true;
}

function readUint(bytes: Uint8Array, s: FieldSpan): number {
  let n = 0;
  for (let k = 0; k < s.length && k < 4; k++) n = n * 256 + (bytes[s.offset + k] ?? 0);
  return n;
}

/** A field's value: the layer's own, else read from the bytes as Wireshark shows it (checksums in hex). */
function fieldValue(layer: Layer, s: FieldSpan, bytes: Uint8Array): FieldChange['to'] {
  const own = (layer as unknown as Record<string, unknown>)[s.field];
  if (typeof own === 'string' || typeof own === 'number' || typeof own === 'boolean') return own;
  if (own !== undefined) return undefined;
  const n = readUint(bytes, s);
  if (s.field === 'checksum') return `0x${n.toString(16).padStart(s.length * 2, '0')}`;
  if (s.field === 'version') return n >> 4;
  if (s.field === 'hdr_len') return layer.type === 'ipv4' ? (n & 0xf) * 4 : (n >> 4) * 4;
  if (s.field === 'frag_offset') return n & 0x1fff;
  return n;
}

/**
 * The model's own list of changes completed with what the bytes say: the checksums and lengths
 * a rewrite recomputed (a DNAT changes the IPv4 header checksum and the TCP checksum too).
 */
export function withDerivedChanges(own: readonly FieldChange[], before: Packet | undefined, after: Packet): FieldChange[] {
  if (before === after) return own.slice();
  const seen = new Set(own.map((c) => `${c.layer}:${c.field}`));
  const out = own.slice();
  for (const c of fieldChanges(before, after)) if (!seen.has(`${c.layer}:${c.field}`)) out.push(c);
  return out;
}
