import type { TraceEvent, EventKind } from '../../sim/trace/event.ts';

/**
 * Event descriptions in the seed's words, for the announcer, the transcript and the inspector.
 * One place, so what a screen reader hears and what the timeline shows never disagree.
 */
const KIND_LABEL: Readonly<Record<EventKind, string>> = {
  send: 'send',
  rx: 'receive on',
  tx: 'transmit on',
  veth: 'veth pair',
  bridge: 'bridge',
  wire: 'wire',
  rule: 'rule',
  policy: 'policy',
  route: 'route lookup',
  neigh: 'neighbour lookup',
  arp: 'ARP',
  fdb: 'FDB lookup',
  conntrack: 'conntrack',
  ipvs: 'ipvs',
  nat: 'NAT',
  forward: 'forward',
  encap: 'encapsulate on',
  decap: 'decapsulate on',
  user: 'user space',
  fragment: 'fragments',
  deliver: 'deliver',
  drop: 'drop',
};

export function kindLabel(kind: EventKind): string {
  return KIND_LABEL[kind];
}

/** `root netns` for the host's own namespace, else `pod NAME` (`container NAME` for Docker's). */
export function netnsLabel(netns: string, kind: 'root' | 'pod' | 'container' = 'pod'): string {
  return netns === 'root' ? 'root netns' : `${kind === 'container' ? 'container' : 'pod'} ${netns}`;
}

/**
 * A pod name short enough for a small box: Deployment pods keep their distinguishing suffix
 * (`nginx-test-7646687cc4-n8s9s` → `nginx-test-…-n8s9s`).
 */
export function shortName(name: string, max = 20): string {
  if (name.length <= max) return name;
  const m = /^(.*)-[a-z0-9]{6,10}-([a-z0-9]{5})$/.exec(name);
  if (m && m[1]!.length + m[2]!.length + 3 <= max + 2) return `${m[1]}-…-${m[2]}`;
  return `${name.slice(0, max - 7)}…${name.slice(-6)}`;
}

/** Fields the bytes derive (checksums, lengths): listed as changed in the packet, not in a step's one-line summary. */
const DERIVED: ReadonlySet<string> = new Set(['checksum', 'len', 'length', 'hdr_len']);

/** 1-based rule number as `iptables -nvL --line-numbers` counts. */
export function ruleNumber(ev: TraceEvent): number | undefined {
  return ev.ref?.row === undefined ? undefined : ev.ref.row + 1;
}

/** What happened at the step, without where: `nat PREROUTING KUBE-SERVICES rule 1 → jump KUBE-SVC-…`. */
export function describeStep(ev: TraceEvent): string {
  const verdict = ev.verdict ? ` → ${ev.verdict}` : '';
  switch (ev.kind) {
    case 'rule': {
      const table = ev.ref?.nfTable ?? ev.ref?.nftTable ?? '';
      const n = ruleNumber(ev);
      const chain = ev.ref?.chain ?? '';
      const hook = ev.hook && ev.hook !== chain ? ev.hook : '';
      return `${table} ${hook} ${chain}${n === undefined ? '' : ` rule ${n}`}${verdict}`
        .replace(/\s+/g, ' ')
        .trim();
    }
    case 'policy':
      return `${ev.ref?.nfTable ?? ev.ref?.nftTable ?? ''} ${ev.ref?.chain ?? ev.hook ?? ''} ${/^policy/.test(ev.verdict ?? '') ? `→ ${ev.verdict}` : `policy${verdict}`}`.replace(/\s+/g, ' ').trim();
    case 'ipvs':
      // the virtual server the packet hit and the real server the scheduler gave it
      return `IPVS ${(ev.ref?.text ?? '').replace(/\s+/g, ' ')}${verdict.replace('→', '→ real server')}`.replace(/\s+/g, ' ').trim();
    case 'route':
    case 'neigh':
    case 'fdb':
    case 'conntrack':
    case 'arp': {
      const dev = ev.dev && ev.kind !== 'route' ? ` (${ev.dev})` : '';
      const what = ev.verdict ?? ev.ref?.text;
      return `${KIND_LABEL[ev.kind]}${dev}${what ? `: ${what}` : ''}`;
    }
    case 'nat':
      // the fields the NAT rewrote, not the checksums that follow from them
      return `NAT${ev.hook ? ` ${ev.hook}` : ''}${ev.changed
        .filter((c) => !DERIVED.has(c.field))
        .map((c) => ` ${c.field} ${String(c.from ?? '')} → ${String(c.to ?? '')}`)
        .join(',')}${ev.verdict ? ` (${ev.verdict})` : ''}`;
    case 'deliver':
      return `deliver${ev.dev ? ` on ${ev.dev}` : ''}${ev.verdict && ev.verdict !== 'delivered' ? verdict : ''}`;
    case 'drop':
      return `drop${ev.dev ? ` on ${ev.dev}` : ''}${ev.reason ? `: ${ev.reason}` : verdict}`;
    default:
      return `${KIND_LABEL[ev.kind]}${ev.dev ? ` ${ev.dev}` : ''}${verdict}`;
  }
}

/** Where and what: `master, root netns, nat PREROUTING KUBE-SERVICES rule 1 → jump KUBE-SVC-…`. */
export function describeEvent(ev: TraceEvent): string {
  return `${ev.host}, ${netnsLabel(ev.netns)}, ${describeStep(ev)}`;
}

/** The live-region sentence for the cursor. */
export function announceStep(ev: TraceEvent | undefined, index: number, total: number): string {
  if (!ev) return total === 0 ? 'No trace.' : '';
  return `Step ${index + 1} of ${total}: ${describeEvent(ev)}`;
}
