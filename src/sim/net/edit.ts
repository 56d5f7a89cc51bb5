import { IPPROTO_IPIP, IPPROTO_UDP, type FieldChange, type Ipv4Layer, type Layer, type Packet } from './packet.ts';

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

/**
 * Where an encapsulated packet's inner packet starts: after the VXLAN header (an Ethernet
 * frame), after an outer IPv4 header of protocol 4 (IPIP), or after a UDP header whose payload
 * is an IPv4 packet (flannel's udp backend); -1 for a packet that carries no other packet. An
 * ICMP error's quote is not an inner packet.
 */
export function innerStart(p: Packet): number {
  const vx = p.findIndex((l) => l.type === 'vxlan');
  if (vx >= 0) return vx + 1;
  const i = ipIndex(p);
  if (i < 0) return -1;
  const outer = p[i] as Ipv4Layer;
  if (outer.proto === IPPROTO_IPIP && p[i + 1]?.type === 'ipv4') return i + 1;
  if (outer.proto === IPPROTO_UDP && p[i + 1]?.type === 'udp' && p[i + 2]?.type === 'ipv4') return i + 2;
  return -1;
}
