import { ipCommand, bridgeCommand } from '../../src/sim/cli/ip.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import { parseLinks } from './outputs.ts';
import type { Probe } from './probe.ts';

/**
 * The tables both sides print, compared line for line: routes (main and local), neighbours,
 * forwarding databases, links with their details, addresses, and the netfilter tables. Run
 * before any traffic (the state the controllers programmed) and again after the traffic probes
 * (what the traffic taught the tables).
 */

/** `ip …` as iproute2 prints it in the model (pods included: the lab runs iproute2 everywhere). */
export function modelIp(p: Probe, ns: NetNs, args: readonly string[]): string {
  const r = ipCommand(p.c.world, ns, args, { flavor: 'iproute2' });
  if (!r.ok) throw new Error(`model: ip ${args.join(' ')} in ${ns.id}: ${r.error}`);
  return r.output;
}

function modelBridge(ns: NetNs, args: readonly string[]): string {
  const r = bridgeCommand(undefined as never, ns, args);
  if (!r.ok) throw new Error(`model: bridge ${args.join(' ')} in ${ns.id}: ${r.error}`);
  return r.output;
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

export function routeProbes(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  p.ck.sameLines('ip route', where, lines(modelIp(p, ns, ['route'])), lines(p.lab.ip(real, ['route'])));
  p.ck.sameSet('ip route show table local', where, lines(modelIp(p, ns, ['route', 'show', 'table', 'local'])), lines(p.lab.ip(real, ['route', 'show', 'table', 'local'])));
}

/** `ip neigh`: before traffic, line for line; after it, the learned entries' address and MAC (their NUD state depends on timers). */
export function neighProbes(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  const model = lines(modelIp(p, ns, ['neigh']));
  const kernel = lines(p.lab.ip(real, ['neigh']));
  if (phase === 'before traffic') {
    p.ck.sameSet('ip neigh', where, model, kernel);
    return;
  }
  const key = (l: string) => {
    const w = l.trim().split(/\s+/);
    const state = w.at(-1)!;
    // REACHABLE, STALE, DELAY and PROBE are one entry at different ages; FAILED and INCOMPLETE have no MAC
    return `${w.slice(0, -1).join(' ')} ${state === 'PERMANENT' ? 'PERMANENT' : state === 'FAILED' || state === 'INCOMPLETE' ? 'unresolved' : 'resolved'}`;
  };
  p.ck.sameSet('ip neigh (learned)', where, model.map(key), kernel.map(key));
}

export function fdbProbes(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  const model = lines(modelBridge(ns, ['fdb', 'show']));
  const kernel = lines(p.lab.ip(real, ['fdb', 'show'], 'bridge'));
  p.ck.sameSet('bridge fdb show', where, model.map((l) => l.trimEnd()), kernel.map((l) => l.trimEnd()));
}

/** Link fields that say something about this test machine rather than about the model's node. */
const MACHINE_FIELDS = new Set(['numtxqueues', 'numrxqueues', 'parentbus', 'parentdev', 'gc_timer']);
/**
 * How a veth names its peer's namespace: the lab's namespaces all have names, a real node's own
 * namespace has none (a pod sees `link-netnsid 0`) and containerd names a pod's `cni-<uuid>`.
 */
const LAB_FIELDS = new Set(['link-netns', 'link-netnsid']);
/** A NIC is a veth in the lab (its far end a port of the segment's bridge), not a virtio device. */
const NIC_FIELDS = new Set(['qdisc', 'addrgenmode', 'tso_max_size']);
/** A TUN device gets the default qdisc, fq_codel on a node; this machine has no sch_fq_codel (pfifo_fast). */
const TUN_FIELDS = new Set(['qdisc']);

export function linkProbes(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  const model = parseLinks(modelIp(p, ns, ['-d', 'link']));
  const kernel = parseLinks(p.lab.ip(real, ['-d', 'link']));
  for (const m of model) {
    const dev = ns.dev(m.name)!;
    const k = kernel.find((x) => x.name === m.name);
    if (!k) {
      p.ck.check('ip -d link', where, `${m.name} exists`, 'yes', 'no', false);
      continue;
    }
    const nic = dev.kind === 'nic';
    p.ck.check('ip -d link', where, `${m.name} ifindex`, m.ifindex, k.ifindex);
    // a NIC is a veth in the lab (its far end is a port of the segment's bridge)
    if (!nic) p.ck.check('ip -d link', where, `${m.name} peer`, m.at, k.at);
    p.ck.check('ip -d link', where, `${m.name} flags`, m.flags, k.flags);
    p.ck.check('ip -d link', where, `${m.name} kinds`, m.kinds.join(','), nic ? k.kinds.filter((x) => x !== 'veth').join(',') : k.kinds.join(','));
    const skip = (key: string) => MACHINE_FIELDS.has(key) || LAB_FIELDS.has(key) || (nic && NIC_FIELDS.has(key)) || (dev.kind === 'tun' && TUN_FIELDS.has(key));
    for (const [key, mv] of m.fields) {
      const kv = k.fields.get(key);
      if (skip(key) || kv === undefined) continue;
      p.ck.check('ip -d link', where, `${m.name} ${key}`, mv, kv);
    }
    for (const key of k.fields.keys()) {
      if (!m.fields.has(key) && !skip(key)) p.ck.check('ip -d link', where, `${m.name} ${key} printed`, 'no', 'yes', false);
    }
  }
}

/** `ip addr`: the inet lines (lifetimes of a DHCP lease count down, so they are compared by form). */
export function addrProbes(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  const pick = (s: string) =>
    lines(s)
      .filter((l) => /^\s+(inet|valid_lft)/.test(l))
      .map((l) => l.replace(/valid_lft \d+sec preferred_lft \d+sec/, 'valid_lft Nsec preferred_lft Nsec'));
  p.ck.sameLines('ip addr', where, pick(modelIp(p, ns, ['addr'])), pick(p.lab.ip(real, ['addr'])));
}

/** `iptables-save`: every line; the Generated/Completed stamps by form (they carry the date). */
export function iptablesSaveProbe(p: Probe, ns: NetNs, real: string, phase: string): void {
  const where = `${ns.id} ${phase}`;
  const r = p.lab.exec(real, ['iptables-save']);
  if (r.status !== 0) throw new Error(`iptables-save in ${real}: ${r.stderr}`);
  // the stamps carry the date and the tool's version (this machine's 1.8.9, the seed's 1.8.7)
  const version = (s: string) => /^# Generated by iptables-save (v\S+ \(nf_tables\))/m.exec(s)?.[1] ?? '(no stamp)';
  const stamp = (l: string) => l.replace(/^# Generated by iptables-save v\S+ \(nf_tables\) on .*$/, '# Generated by iptables-save <version> on <date>').replace(/^# Completed on .*$/, '# Completed on <date>').replace(/\[\d+:\d+\]$/, '[pkts:bytes]');
  const model = p.modelExec(ns, 'iptables-save');
  if (r.stdout) p.ck.check('iptables-save', where, 'version in the stamp', version(model), version(r.stdout));
  p.ck.sameLines('iptables-save', where, lines(model).map(stamp), lines(r.stdout).map(stamp));
}

/**
 * `iptables -nvL` for filter and nat, column for column as iptables 1.8 (nf_tables) prints them,
 * counters zeroed on both sides first (the kernel's own IGMP reports would count otherwise).
 */
export function iptablesListProbe(p: Probe, ns: NetNs, real: string, phase: string): void {
  for (const table of ['filter', 'nat']) {
    p.modelExec(ns, `iptables -t ${table} -Z`);
    p.lab.exec(real, ['iptables', '-t', table, '-Z']);
    const k = lines(p.lab.exec(real, ['iptables', '-nvL', '-t', table]).stdout);
    const named = k.map(protocolName);
    const numbers = named.some((l, i) => l !== k[i]);
    p.ck.check(`iptables -nvL -t ${table}`, `${ns.id} ${phase}`, 'prot column', 'names (all, tcp, udp)', numbers ? 'numbers (0, 6, 17)' : 'names (all, tcp, udp)');
    p.ck.sameLines(`iptables -nvL -t ${table}`, `${ns.id} ${phase}`, lines(p.modelExec(ns, `iptables -nvL -t ${table}`)), named);
  }
}

const PROTOCOLS: Readonly<Record<string, string>> = { '0': 'all', '1': 'icmp', '6': 'tcp', '17': 'udp', '132': 'sctp' };

/**
 * iptables 1.8.9 prints the prot column as a number under -n (`0` for all); the seed's iptables,
 * and 1.8.10 again, print the name. The name is put back, in the same column width, so that the
 * rest of the line is still compared byte for byte. A rule without a target (Felix's profile
 * rules that only mark, `-m comment` alone) leaves the target column blank.
 */
function protocolName(line: string): string {
  const m = /^(\s*\d+[KMGT]?\s+\d+[KMGT]?\s+(?:[^\s\d]\S*\s+)?)(\d+)(\s+)(!?\s*--)/.exec(line);
  if (!m || PROTOCOLS[m[2]!] === undefined) return line;
  const name = PROTOCOLS[m[2]!]!;
  const width = m[2]!.length + m[3]!.length;
  return `${m[1]}${name}${' '.repeat(Math.max(1, width - name.length))}${line.slice(m[1]!.length + width)}`;
}

/**
 * The kernel's own IGMPv3 reports: a bridge joins 224.0.0.106 (all-snoopers) when it comes up
 * (cni0 in `ip maddr`), and igmp_ifc_event sends the unsolicited report at once and again within
 * igmpv3_unsolicited_report_interval (1 s; robustness 2). A report (40 bytes) is a NEW conntrack
 * entry that counts in the nat table's OUTPUT and POSTROUTING — seen racing the suite's `-Z` —
 * and the model sends no IGMP. So the counters are zeroed and read once the reports are over.
 */
const IGMP_REPORTS_MS = 2000;

export function stateProbes(p: Probe, phase: 'before traffic' | 'after traffic'): void {
  for (const ns of p.c.world.namespaces.values()) {
    const real = p.real(ns);
    routeProbes(p, ns, real, phase);
    neighProbes(p, ns, real, phase);
    fdbProbes(p, ns, real, phase);
    if (phase === 'before traffic') {
      linkProbes(p, ns, real, phase);
      addrProbes(p, ns, real, phase);
      iptablesSaveProbe(p, ns, real, phase);
    }
  }
  if (phase !== 'before traffic') return;
  p.lab.settle(IGMP_REPORTS_MS);
  for (const ns of p.c.world.namespaces.values()) iptablesListProbe(p, ns, p.real(ns), phase);
}
