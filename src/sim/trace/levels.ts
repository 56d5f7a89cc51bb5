import type { EventKind, TraceEvent } from './event.ts';

/**
 * The same trace read at three depths. *path*: one step per device or namespace crossing and
 * per change to the packet (a pod → ClusterIP call in ~30 steps, and one step per segment of
 * its close); *kernel*: adds every lookup
 * (route, neighbour, FDB, conntrack, IPVS) and one step per netfilter table at a hook (its
 * decision); *rules*: every rule the packet matched. A coarse step stands for the finer steps
 * that led to it: they are its group, and it is their last step.
 */
export const TRACE_LEVELS = ['path', 'kernel', 'rules'] as const;
export type TraceLevel = (typeof TRACE_LEVELS)[number];

/** 0 path, 1 kernel, 2 rules: a step is shown at its level and every finer one. */
export function levelRank(l: TraceLevel): number {
  return TRACE_LEVELS.indexOf(l);
}

export function isTraceLevel(s: string): s is TraceLevel {
  return (TRACE_LEVELS as readonly string[]).includes(s);
}

/**
 * Steps that change the packet, carry it across a boundary or end it: always part of the path
 * (`user`: the packet leaves the kernel for a process, flanneld's udp backend, and comes back).
 */
const PATH_KINDS: ReadonlySet<EventKind> = new Set(['send', 'wire', 'encap', 'decap', 'nat', 'forward', 'user', 'deliver', 'drop']);

/** What a device does with a frame it was handed, as a step of its own: a bridge's or VXLAN device's lookup, the encapsulation. */
const DEVICE_GOES_ON: ReadonlySet<EventKind> = new Set(['fdb', 'bridge', 'encap', 'arp', 'neigh']);

const sameHookTable = (a: TraceEvent, b: TraceEvent) =>
  a.packetId === b.packetId && a.host === b.host && a.netns === b.netns && a.hook === b.hook && a.ref?.nfTable === b.ref?.nfTable;
const isNf = (e: TraceEvent | undefined) => e?.kind === 'rule' || e?.kind === 'policy';

/**
 * The coarsest level at which each event is a step of its own (as ranks, see `levelRank`).
 * Classified from what the event is and what the next one is, never from a scenario: a
 * transmit that hands the frame over (a veth to its peer, lo to its own stack) is a crossing;
 * one followed by the wire, or by the same device's FDB or encapsulation, is not — those steps
 * say it; the last rule visited at a hook in one table is that table's decision.
 */
export function eventLevels(events: readonly TraceEvent[]): Uint8Array {
  const out = new Uint8Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const next = events[i + 1];
    let rank: number;
    if (PATH_KINDS.has(e.kind)) rank = 0;
    // a transmit crosses a link (veth to its peer, lo back to its own stack) unless the device
    // itself goes on with the frame (a bridge's FDB, a VXLAN device's encapsulation) or the wire step says it
    else if (e.kind === 'tx') rank = next && next.packetId === e.packetId && next.kind !== 'wire' && !(next.dev === e.dev && DEVICE_GOES_ON.has(next.kind)) ? 0 : 1;
    else if (isNf(e)) rank = isNf(next) && sameHookTable(e, next!) ? 2 : 1;
    else rank = 1;
    // the close (FIN and the ACKs of FINs) takes the path its connection already showed: at the
    // path level each of its segments is one step, its last (where it was delivered or dropped)
    if (e.phase === 'close' && rank === 0) rank = 1;
    out[i] = rank;
  }
  // every packet's last step is on the path: nothing is left hanging after it
  for (let i = 0; i < events.length; i++) if (i === events.length - 1 || events[i + 1]!.packetId !== events[i]!.packetId) out[i] = 0;
  return out;
}

/**
 * For each event, the step that stands for it at `level`: itself if it is shown there, else the
 * first later event of its packet that is (the end of the group it belongs to).
 */
export function representatives(ranks: Uint8Array, level: TraceLevel): Int32Array {
  const max = levelRank(level);
  const rep = new Int32Array(ranks.length);
  let next = ranks.length - 1;
  for (let i = ranks.length - 1; i >= 0; i--) {
    if (ranks[i]! <= max) next = i;
    rep[i] = next;
  }
  return rep;
}

/** The events a step at `level` stands for: from after the previous step at that level up to itself. */
export function groupRange(ranks: Uint8Array, level: TraceLevel, index: number): [number, number] {
  const max = levelRank(level);
  let start = index;
  while (start > 0 && ranks[start - 1]! > max) start--;
  return [start, index];
}

/** One row of a trace shown at a level: an event, how deep it sits in expanded groups, and what it stands for. */
export interface StepRow {
  readonly index: number;
  /** 0 for a step of the chosen level; 1, 2 for finer steps shown by expanding a group */
  readonly depth: number;
  /** finer events this step stands for (its group without itself); 0 when it stands only for itself */
  readonly contains: number;
}

/**
 * The rows to show at `level`, chronological: each step of the level, and, for the steps in
 * `expanded`, the finer steps of their group before them (at the next finer level, which may
 * expand again). Every event belongs to exactly one row at the rules level.
 */
export function stepRows(ranks: Uint8Array, level: TraceLevel, expanded: ReadonlySet<number> = new Set()): StepRow[] {
  const rows: StepRow[] = [];
  const emit = (from: number, to: number, rank: number, depth: number) => {
    let start = from;
    for (let i = from; i <= to; i++) {
      if (ranks[i]! > rank && i !== to) continue;
      // i is a step at this rank; [start, i-1] is its group
      if (expanded.has(i) && i > start && rank < 2) emit(start, i - 1, rank + 1, depth + 1);
      rows.push({ index: i, depth, contains: i - start });
      start = i + 1;
    }
  };
  if (ranks.length) emit(0, ranks.length - 1, levelRank(level), 0);
  return rows;
}

/** The kinds of step a user filters by: what part of the kernel a step is about. */
export const STEP_CATEGORIES = ['routing', 'neighbour', 'bridge', 'netfilter', 'nat', 'conntrack', 'encap', 'drop'] as const;
export type StepCategory = (typeof STEP_CATEGORIES)[number];

export const CATEGORY_LABEL: Readonly<Record<StepCategory, string>> = {
  routing: 'routing',
  neighbour: 'ARP / neighbour',
  bridge: 'bridge / FDB',
  netfilter: 'netfilter',
  nat: 'NAT',
  conntrack: 'conntrack',
  encap: 'encapsulation',
  drop: 'drops',
};

const CATEGORY_OF: Partial<Record<EventKind, StepCategory>> = {
  route: 'routing',
  forward: 'routing',
  neigh: 'neighbour',
  arp: 'neighbour',
  bridge: 'bridge',
  fdb: 'bridge',
  rule: 'netfilter',
  policy: 'netfilter',
  nat: 'nat',
  ipvs: 'nat',
  conntrack: 'conntrack',
  encap: 'encap',
  decap: 'encap',
  user: 'encap',
  drop: 'drop',
};

/** What a step is about, for the filter chips; undefined for a device's transmit/receive, a send or a delivery. */
export function stepCategory(e: TraceEvent): StepCategory | undefined {
  return CATEGORY_OF[e.kind];
}
