import { innerStart } from '../../sim/net/edit.ts';
import { frameLength } from '../../sim/net/encode.ts';
import type { Packet } from '../../sim/net/packet.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';

/**
 * The path strip: the hosts, namespaces and devices one packet crosses, in order, with what
 * happens to it on the way (`DNAT 10.43.6.58 → 10.42.1.6`, `TTL 64 → 63`, `VXLAN +50 B`,
 * `MASQUERADE → 10.42.0.0`). Read off the trace: places from where its steps happen, devices
 * from the steps that name one, changes from the steps that rewrite the packet.
 */
export type StripItem =
  | { readonly type: 'place'; readonly index: number; readonly host: string; readonly netns: string }
  | { readonly type: 'dev'; readonly index: number; readonly dev: string }
  | { readonly type: 'change'; readonly index: number; readonly what: 'nat' | 'ttl' | 'encap' | 'decap'; readonly text: string }
  | { readonly type: 'end'; readonly index: number; readonly ok: boolean; readonly text: string };

const ETHERNET_HEADER = 14;

const DEVICE_KINDS = new Set(['tx', 'rx', 'bridge', 'fdb']);

/** What a NAT step did, in the words of its kind: the field it rewrote, old → new. */
function natText(e: TraceEvent): string {
  const own = e.changed.filter((c) => c.from !== undefined && c.field !== 'checksum' && c.field !== 'len' && c.field !== 'length');
  const addr = own.find((c) => c.field === 'dst' || c.field === 'src') ?? own[0];
  const port = own.find((c) => c.field === 'dstport' || c.field === 'srcport');
  const kind = e.verdict === 'DNAT' || e.verdict === 'SNAT' || e.verdict === 'MASQUERADE' ? e.verdict : e.ref?.table === 'ipvs' ? 'IPVS' : e.verdict === 'reverse NAT' || e.verdict === 'IPVS reply' ? `un-NAT ${addr?.field ?? ''}` : `NAT ${addr?.field ?? ''}`;
  if (!addr) return kind.trim();
  if (e.verdict === 'MASQUERADE' || e.verdict === 'SNAT') return `${kind} → ${String(addr.to)}`;
  return `${kind} ${String(addr.from)}${port ? `:${String(port.from)}` : ''} → ${String(addr.to)}${port ? `:${String(port.to)}` : ''}`.replace(/\s+/g, ' ');
}

/**
 * What an encapsulation adds on the wire, named by its outer headers: `VXLAN +50 B` (Ethernet,
 * IPv4, UDP, VXLAN), `IPIP +20 B`, `UDP +28 B` (flannel's udp backend).
 */
function encapText(events: readonly TraceEvent[], at: number): string {
  const e = events[at]!;
  const wire = events.slice(at).find((x) => x.packetId === e.packetId && x.kind === 'wire');
  const outer: Packet = wire?.packet ?? e.packet;
  const start = innerStart(outer);
  if (start < 0) return 'encapsulated';
  const name = outer.some((l) => l.type === 'vxlan') ? 'VXLAN' : outer[start - 1]?.type === 'udp' ? 'UDP' : 'IPIP';
  // against the same packet sent plainly in an Ethernet frame: VXLAN carries the inner frame's
  // Ethernet header, IPIP and UDP carry a bare IP packet
  const inner = outer.slice(start);
  const plain = frameLength(inner) + (inner[0]?.type === 'ethernet' ? 0 : ETHERNET_HEADER);
  return `${name} +${frameLength(outer) - plain} B`;
}

export function pathStrip(events: readonly TraceEvent[], packetId: number): StripItem[] {
  const items: StripItem[] = [];
  let place = '';
  let lastDev = '';
  events.forEach((e, index) => {
    if (e.packetId !== packetId) return;
    const here = `${e.host}|${e.netns}`;
    if (here !== place) {
      items.push({ type: 'place', index, host: e.host, netns: e.netns });
      place = here;
      lastDev = '';
    }
    if (e.dev && DEVICE_KINDS.has(e.kind) && e.dev !== lastDev) {
      // a bridge names itself on its fdb/bridge steps; its port arrives first with rx
      items.push({ type: 'dev', index, dev: e.dev });
      lastDev = e.dev;
    }
    switch (e.kind) {
      case 'nat':
        items.push({ type: 'change', index, what: 'nat', text: natText(e) });
        break;
      case 'user':
      case 'forward': {
        const ttl = e.changed.find((c) => c.field === 'ttl');
        if (ttl) items.push({ type: 'change', index, what: 'ttl', text: `TTL ${String(ttl.from)} → ${String(ttl.to)}` });
        // the packet leaves the kernel for a process (flanneld) or comes back from it
        else if (e.kind === 'user') items.push({ type: 'change', index, what: 'encap', text: e.verdict ?? 'user space' });
        break;
      }
      case 'encap':
        if (e.dev && e.dev !== lastDev) items.push({ type: 'dev', index, dev: e.dev });
        lastDev = e.dev ?? lastDev;
        items.push({ type: 'change', index, what: 'encap', text: encapText(events, index) });
        break;
      case 'decap':
        items.push({ type: 'change', index, what: 'decap', text: 'decapsulated' });
        if (e.dev) items.push({ type: 'dev', index, dev: e.dev });
        lastDev = e.dev ?? lastDev;
        break;
      case 'deliver':
        items.push({ type: 'end', index, ok: true, text: e.verdict && e.verdict !== 'delivered' ? e.verdict : 'delivered' });
        break;
      case 'drop':
        items.push({ type: 'end', index, ok: false, text: `dropped: ${e.reason ?? ''}` });
        break;
    }
  });
  return items;
}
