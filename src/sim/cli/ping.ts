import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { ipIndex } from '../net/edit.ts';
import { ipLength } from '../net/encode.ts';
import type { IcmpLayer, Ipv4Layer, Packet } from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import { PacketWalk } from '../linux/path/walk.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { firstPacket, socketsFor, traceroute, TRACEROUTE_MAX_TTL, type TracerouteProbe } from '../k8s/flows.ts';

/**
 * `ping` and `traceroute` as a pod (busybox, from `kubectl debug --image=busybox`) or a host
 * (iputils ping, Linux traceroute 2.1) runs them: each flag is checked with the real tool's
 * rules and refused with its words; every probe is walked by the kernel model, and what they
 * print is read off what came back.
 */
type Run = { ok: true; output: string; mutates: boolean } | { ok: false; error: string };

/**
 * The most echo requests one command sends here. Real ping runs until interrupted; a command in
 * this lab must end, so a larger count (or busybox's `-c 0`, "forever") is refused up front.
 */
export const PING_MAX_COUNT = 1000;

/** Whether a namespace runs busybox (pods, via `kubectl debug --image=busybox`) or iputils. */
function busybox(ns: NetNs): boolean {
  return ns.kind !== 'root';
}

/** busybox xatou_range: decimal digits only, then the range. */
function bbNumber(tool: string, v: string | undefined, lo: number, hi: number): number | string {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 0xffffffff) return `${tool}: invalid number '${v ?? ''}'`;
  const n = Number(v);
  return n < lo || n > hi ? `${tool}: number ${v} is not in ${lo}..${hi} range` : n;
}

/** iputils strtol_or_err: an integer, then the range (LLONG_MAX as the top for -c). */
function iputilsNumber(v: string | undefined, lo: number, hi: string): number | string {
  if (v === undefined || !/^[-+]?\d+$/.test(v.trim())) return `ping: invalid argument: '${v ?? ''}'`;
  const n = Number(v);
  return n < lo || n > Number(hi) ? `ping: invalid argument: '${v}': out of range: ${lo} <= value <= ${hi}` : n;
}

/** A duration in seconds (iputils -W/-i, traceroute -w): a non-negative decimal. */
function seconds(tool: string, v: string | undefined, max: number): number | string {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || Number(v) > max) return `${tool}: bad timing interval: ${v ?? ''}`;
  return Number(v);
}

/** IP_MTU_DISCOVER as iputils `ping -M` sets it; the kernel's default for a raw socket is `want`. */
type Pmtudisc = 'do' | 'dont' | 'want';

interface EchoResult {
  readonly ttl?: number;
  readonly ms: number;
  /** an ICMP error that came back, as iputils prints it (without the seq) */
  readonly error?: { readonly from: Ipv4; readonly text: string };
  /** sendmsg failed locally: EMSGSIZE, with the MTU the kernel checked against */
  readonly localMtu?: number;
  /** sendmsg failed because the sender's own veth dropped the frame (veth_xmit: NET_XMIT_DROP → ENOBUFS) */
  readonly noBufs?: boolean;
}

export function pingCommand(c: Cluster, ns: NetNs, args: readonly string[]): Run {
  const bb = busybox(ns);
  let count = 3;
  let size = 56;
  let pmtudisc: Pmtudisc = 'want';
  let dst: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '-s') {
      const v = args[++i];
      const n = a === '-c' ? (bb ? bbNumber('ping', v, 0, 0xffffffff) : iputilsNumber(v, 1, '9223372036854775807')) : bb ? bbNumber('ping', v, 0, 65535) : iputilsNumber(v, 0, '65507');
      if (typeof n === 'string') return { ok: false, error: n };
      if (a === '-c') count = n;
      else size = n;
    } else if (a === '-W' || a === '-w' || (a === '-i' && !bb)) {
      // waits and intervals: the model's answers come or they do not; the value is still checked
      const v = args[++i];
      const n = bb ? bbNumber('ping', v, 0, 0xffffffff) : seconds('ping', v, 2147483);
      if (typeof n === 'string') return { ok: false, error: n };
    } else if (a === '-M' && !bb) {
      // iputils only: busybox's ping has no -M
      const m = args[++i];
      if (m !== 'do' && m !== 'dont' && m !== 'want') return { ok: false, error: `ping: invalid -M argument: ${m ?? ''}` };
      pmtudisc = m;
    } else if (a === '-n' || a === '-q') continue;
    else if (a.startsWith('-') && a.length > 1) return { ok: false, error: `ping: invalid option -- '${a.slice(1, 2)}'` };
    else dst = a;
  }
  if (dst === undefined) return { ok: false, error: bb ? 'Usage: ping [OPTIONS] HOST' : 'ping: usage error: Destination address required' };
  if (!isIpv4(dst)) return { ok: false, error: bb ? `ping: bad address '${dst}'` : `ping: ${dst}: Name or service not known` };
  if (count === 0 || count > PING_MAX_COUNT) {
    return { ok: false, error: `ping: -c ${count === 0 ? '0 (until interrupted)' : count}: this lab sends at most ${PING_MAX_COUNT} echo requests per command` };
  }
  if (size > 65507) return { ok: false, error: `ping: -s ${size}: an echo request carries at most 65507 bytes of data in an IPv4 packet` };
  // iputils numbers echoes from 1, busybox from 0
  const first = bb ? 0 : 1;
  const results: EchoResult[] = [];
  for (let n = 0; n < count; n++) {
    const r = echo(c, ns, dst, first + n, size, pmtudisc);
    results.push(r);
    // busybox dies on a failed sendto
    if ((r.localMtu !== undefined || r.noBufs) && bb) break;
  }
  return { ok: true, output: bb ? busyboxOutput(dst, size, count, results) : iputilsOutput(dst, size, count, results), mutates: false };
}

function stats(results: readonly EchoResult[]): { received: number; min: string; avg: string; max: string } {
  const times = results.filter((r) => r.ttl !== undefined).map((r) => r.ms);
  const stat = (f: (a: number[]) => number) => (times.length ? f(times).toFixed(3) : '0.000');
  return { received: times.length, min: stat((a) => Math.min(...a)), avg: stat((a) => a.reduce((x, y) => x + y, 0) / a.length), max: stat((a) => Math.max(...a)) };
}

function busyboxOutput(dst: string, size: number, count: number, results: readonly EchoResult[]): string {
  let out = `PING ${dst} (${dst}): ${size} data bytes\n`;
  for (const [seq, r] of results.entries()) {
    if (r.localMtu !== undefined) return `${out}ping: sendto: Message too long\n`;
    if (r.noBufs) return `${out}ping: sendto: No buffer space available\n`;
    // an ICMP error is dropped unprinted: busybox's unpack4 reads the echo id where an error
    // carries zeros, finds it is "not our ping" (checked on a real kernel with busybox 1.35)
    if (r.ttl !== undefined) out += `${size + 8} bytes from ${dst}: seq=${seq} ttl=${r.ttl} time=${r.ms.toFixed(3)} ms\n`;
  }
  const s = stats(results);
  const loss = Math.round(((count - s.received) / count) * 100);
  out += `\n--- ${dst} ping statistics ---\n${count} packets transmitted, ${s.received} packets received, ${loss}% packet loss\n`;
  if (s.received) out += `round-trip min/avg/max = ${s.min}/${s.avg}/${s.max} ms\n`;
  return out;
}

function iputilsOutput(dst: string, size: number, count: number, results: readonly EchoResult[]): string {
  let out = `PING ${dst} (${dst}) ${size}(${size + 28}) bytes of data.\n`;
  let errors = 0;
  for (const [n, r] of results.entries()) {
    if (r.localMtu !== undefined) out += `ping: local error: message too long, mtu=${r.localMtu}\n`;
    else if (r.noBufs) out += 'ping: sendmsg: No buffer space available\n';
    else if (r.ttl !== undefined) out += `${size + 8} bytes from ${dst}: icmp_seq=${n + 1} ttl=${r.ttl} time=${r.ms.toFixed(3)} ms\n`;
    else if (r.error) out += `From ${r.error.from} icmp_seq=${n + 1} ${r.error.text}\n`;
    if (r.localMtu !== undefined || r.error) errors++;
  }
  const s = stats(results);
  const loss = Math.round(((count - s.received) / count) * 100);
  out += `\n--- ${dst} ping statistics ---\n${count} packets transmitted, ${s.received} received, ${errors ? `+${errors} errors, ` : ''}${loss}% packet loss, time ${(count - 1) * 1000}ms\n`;
  if (s.received) out += `rtt min/avg/max/mdev = ${s.min}/${s.avg}/${s.max}/0.000 ms\n`;
  return out;
}

/**
 * One echo request walked by the kernel model; the reply's TTL is whatever the path left it.
 * DF follows -M: always (`do`), never (`dont`), or when the datagram fits the path MTU (`want`,
 * ip_dont_fragment) — a bigger one the kernel fragments.
 */
function echo(c: Cluster, ns: NetNs, dst: Ipv4, seq: number, size: number, pmtudisc: Pmtudisc): EchoResult {
  const walk = new PacketWalk(c.world, socketsFor(c));
  const req = firstPacket(c, ns, { from: '', to: dst, proto: 'icmp', kind: 'ping', size }, { ip: dst });
  const mtu = sendMtu(c, ns, dst);
  const df = pmtudisc === 'do' || (pmtudisc === 'want' && ipLength(req) <= mtu);
  const packet: Packet = req.map((l) => (l.type === 'icmp' ? { ...l, seq } : l.type === 'ipv4' ? { ...l, df } : l));
  const t = walk.run(ns, packet);
  if (t.packets[0]!.reason === 'EMSGSIZE') return { ms: 0, localMtu: mtu };
  // the frame never left: the socket's own veth refused it, and sendmsg says so
  const out = t.packets[0]!;
  if (out.reason === 'VETH_MTU' && out.host === ns.host && out.netns === ns.name) return { ms: 0, noBufs: true };
  const start = t.events[0]!.timeUs;
  const back = t.packets.find((p, k) => k > 0 && p.verdict === 'delivered' && p.host === ns.host && p.netns === ns.name);
  if (!back) return { ms: 0 };
  const last = t.events.filter((e) => e.packetId === back.packetId).at(-1)!;
  const ip4 = last.packet[ipIndex(last.packet)] as Ipv4Layer;
  const icmp = last.packet[ipIndex(last.packet) + 1];
  const ms = (last.timeUs - start) / 1000;
  if (icmp?.type === 'icmp' && icmp.icmp_type === 0) return { ttl: ip4.ttl, ms };
  return { ms, error: { from: ip4.src, text: icmp?.type === 'icmp' ? pingErrorText(icmp) : 'Destination Host Unreachable' } };
}

/** The MTU a packet from this namespace to `dst` must fit: its route's device, or a learned path MTU. */
function sendMtu(c: Cluster, ns: NetNs, dst: Ipv4): number {
  if (ns.isLocal(dst)) return ns.dev('lo')?.mtu ?? 65536;
  const r = ns.fib.lookup(dst, (d) => ns.dev(d)?.up === true);
  const devMtu = (r && ns.dev(r.route.dev)?.mtu) || 1500;
  return ns.pathMtu(dst, devMtu, c.world.timeUs);
}

/** How iputils names an ICMP error it receives (pr_icmph). */
function pingErrorText(icmp: IcmpLayer): string {
  const { icmp_type: type, code } = icmp;
  if (type === 11) return 'Time to live exceeded';
  if (type !== 3) return `ICMP type ${type}`;
  if (code === 4) return `Frag needed and DF set (mtu = ${icmp.mtu ?? 0})`;
  return ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable'][code] ?? `Dest Unreachable, Bad Code: ${code}`;
}

/**
 * busybox `traceroute [-nI] [-m MAX] [-q N] [-w S] [-p PORT] HOST`, or Linux traceroute 2.1
 * with `-T` (TCP SYN probes) as well.
 */
export function tracerouteCommand(c: Cluster, ns: NetNs, args: readonly string[]): Run {
  const bb = busybox(ns);
  let dst: string | undefined;
  let maxHops = 30;
  let kind: 'udp' | 'icmp' | 'tcp' = 'udp';
  let port: number | undefined;
  let queries = 3;
  // how long a probe is waited for: busybox 3 s, Linux traceroute up to 5 s
  let waitS = bb ? 3 : 5;
  const bad = (i: number, a: string) => ({ ok: false as const, error: bb ? `traceroute: invalid option -- '${a.slice(1, 2)}'` : `Bad option \`${a}' (argc ${i + 1})` });
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') continue;
    if (a === '-I') kind = 'icmp';
    else if (a === '-T') {
      // busybox traceroute has no TCP probes
      if (bb) return bad(i, a);
      kind = 'tcp';
    } else if (a === '-m') {
      const v = args[++i];
      if (bb) {
        const n = bbNumber('traceroute', v, 1, TRACEROUTE_MAX_TTL);
        if (typeof n === 'string') return { ok: false, error: n };
        maxHops = n;
      } else {
        // traceroute.c: CLIF_parse_int, then "max hops cannot be more than 255" and, for 0,
        // "first hop out of range" (the first hop, 1, is past the last); -1 reads as unsigned
        if (v === undefined || !/^-?\d+$/.test(v)) return { ok: false, error: `Cannot handle \`-m' option with arg \`${v ?? ''}' (argc ${i + 1})` };
        const n = Number(v);
        if (n < 0 || n > TRACEROUTE_MAX_TTL) return { ok: false, error: `max hops cannot be more than ${TRACEROUTE_MAX_TTL}` };
        if (n === 0) return { ok: false, error: 'first hop out of range' };
        maxHops = n;
      }
    } else if (a === '-q' || a === '-p') {
      const n = bbNumber('traceroute', args[++i], 1, a === '-q' ? 10 : 65535);
      if (typeof n === 'string') return { ok: false, error: n };
      if (a === '-q') queries = n;
      else port = n;
    } else if (a === '-w') {
      const n = seconds('traceroute', args[++i], 60);
      if (typeof n === 'string') return { ok: false, error: n };
      waitS = n;
    } else if (a.startsWith('-') && a.length > 1) return bad(i, a);
    else dst = a;
  }
  if (dst === undefined) return { ok: false, error: bb ? 'Usage: traceroute [-n] [-m MAXTTL] HOST' : 'Specify "host" missing argument.' };
  if (!isIpv4(dst)) return { ok: false, error: bb ? `traceroute: bad address '${dst}'` : `${dst}: Name or service not known` };
  const probe: TracerouteProbe = kind === 'tcp' ? { kind, port: port ?? 80 } : { kind };
  const { hops } = traceroute(c, ns, dst, maxHops, probe, queries, waitS * 1_000_000);
  const size = bb ? 46 : 60;
  let out = `traceroute to ${dst} (${dst}), ${maxHops} hops max, ${size} byte packets\n`;
  for (const h of hops) {
    // each probe's simulated round trip; an address is printed when it differs from the last one
    let line = String(h.ttl).padStart(2);
    let last: string | undefined;
    for (const pr of h.probes) {
      if (!pr) line += '  *';
      else {
        if (pr.from !== last) line += `  ${pr.from}`;
        last = pr.from;
        line += `  ${pr.ms.toFixed(3)} ms${pr.flag ? ` ${pr.flag}` : ''}`;
      }
    }
    out += `${line}\n`;
  }
  return { ok: true, output: out, mutates: false };
}
