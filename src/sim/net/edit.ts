import type { FieldChange, Ipv4Layer, Layer, Packet } from './packet.ts';

/** Index of the outermost IPv4 header: the one the current namespace's stack works on. */
export function ipIndex(p: Packet): number {
  for (let i = 0; i < p.length; i++) if (p[i]!.type === 'ipv4') return i;
  return -1;
}

export function ipOf(p: Packet): Ipv4Layer | undefined {
  const i = ipIndex(p);
  return i < 0 ? undefined : (p[i] as Ipv4Layer);
}

/** The transport header right after the outermost IPv4 header. */
export function l4Of(p: Packet): Layer | undefined {
  const i = ipIndex(p);
  return i < 0 ? undefined : p[i + 1];
}

/**
 * Returns a packet with some fields of one layer replaced, plus the list of fields that really
 * changed — what the inspector highlights. The original packet is untouched.
 */
export function patchLayer<L extends Layer>(
  p: Packet,
  index: number,
  patch: Partial<Omit<L, 'type'>>,
): { packet: Packet; changes: FieldChange[] } {
  const layer = p[index] as L | undefined;
  if (!layer) return { packet: p, changes: [] };
  const changes: FieldChange[] = [];
  for (const [field, to] of Object.entries(patch)) {
    const from = (layer as unknown as Record<string, unknown>)[field];
    if (from !== to) changes.push({ layer: index, field, from: from as FieldChange['from'], to: to as FieldChange['to'] });
  }
  if (changes.length === 0) return { packet: p, changes };
  const next = p.slice();
  next[index] = { ...layer, ...patch } as Layer;
  return { packet: next, changes };
}

/** Every field of the given layers, as changes: for headers that were just added (encapsulation). */
export function addedFields(p: Packet, from: number, to: number): FieldChange[] {
  const changes: FieldChange[] = [];
  for (let i = from; i < to; i++) {
    for (const [field, value] of Object.entries(p[i]!)) {
      if (field !== 'type' && typeof value !== 'object') changes.push({ layer: i, field, to: value as FieldChange['to'] });
    }
  }
  return changes;
}
