import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { ipIndex } from '../net/edit.ts';
import type { Ipv4Layer, Packet } from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import { PacketWalk } from '../linux/path/walk.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { firstPacket, socketsFor, traceroute, TRACEROUTE_MAX_TTL } from '../k8s/flows.ts';

/**
 * `ping` and `traceroute` as a pod (busybox, from `kubectl debug --image=busybox`) or a host
 * (iputils ping, Linux traceroute 2.1) runs them: each flag is checked with the real tool's
 * rules and refused with its words; every probe is walked by the kernel model.
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

interface EchoResult {
  readonly ttl?: number;
  readonly ms: number;
  readonly error?: string;
}

export function pingCommand(c: Cluster, ns: NetNs, args: readonly string[]): Run {
  const bb = busybox(ns);
  let count = 3;
  let size = 56;
  let dst: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '-s') {
      const v = args[++i];
      const n = a === '-c' ? (bb ? bbNumber('ping', v, 0, 0xffffffff) : iputilsNumber(v, 1, '9223372036854775807')) : bb ? bbNumber('ping', v, 0, 65535) : iputilsNumber(v, 0, '65507');
      if (typeof n === 'string') return { ok: false, error: n };
      if (a === '-c') count = n;
      else size = n;
    } else if (a.startsWith('-') && a.length > 1) return { ok: false, error: `ping: invalid option -- '${a.slice(1, 2)}'` };
    else dst = a;
  }
  if (dst === undefined) return { ok: false, error: bb ? 'Usage: ping [OPTIONS] HOST' : 'ping: usage error: Destination address required' };
  if (!isIpv4(dst)) return { ok: false, error: bb ? `ping: bad address '${dst}'` : `ping: ${dst}: Name or service not known` };
  if (count === 0 || count > PING_MAX_COUNT) {
    return { ok: false, error: `ping: -c ${count === 0 ? '0 (until interrupted)' : count}: this lab sends at most ${PING_MAX_COUNT} echo requests per command` };
  }
  if (size > 65507) return { ok: false, error: `ping: -s ${size}: an echo request carries at most 65507 bytes of data in an IPv4 packet` };
  const results: EchoResult[] = [];
  for (let seq = 0; seq < count; seq++) results.push(echo(c, ns, dst, seq, size));
  const ok = results.filter((r) => r.ttl !== undefined);
  const times = ok.map((r) => r.ms);
  const stat = (f: (a: number[]) => number) => (times.length ? f(times).toFixed(3) : '0.000');
  const min = stat((a) => Math.min(...a));
  const avg = stat((a) => a.reduce((x, y) => x + y, 0) / a.length);
  const max = stat((a) => Math.max(...a));
  const loss = Math.round(((count - ok.length) / count) * 100);
  if (busybox(ns)) {
    let out = `PING ${dst} (${dst}): ${size} data bytes\n`;
    results.forEach((r, seq) => {
      if (r.ttl !== undefined) out += `${size + 8} bytes from ${dst}: seq=${seq} ttl=${r.ttl} time=${r.ms.toFixed(3)} ms\n`;
      else if (r.error) out += `${r.error}\n`;
    });
    out += `\n--- ${dst} ping statistics ---\n${count} packets transmitted, ${ok.length} packets received, ${loss}% packet loss\n`;
    if (ok.length) out += `round-trip min/avg/max = ${min}/${avg}/${max} ms\n`;
    return { ok: true, output: out, mutates: false };
  }
  let out = `PING ${dst} (${dst}) ${size}(${size + 28}) bytes of data.\n`;
  results.forEach((r, seq) => {
    if (r.ttl !== undefined) out += `${size + 8} bytes from ${dst}: icmp_seq=${seq + 1} ttl=${r.ttl} time=${r.ms.toFixed(3)} ms\n`;
    else if (r.error) out += `${r.error.replace('seq=', 'icmp_seq=')}\n`;
  });
  out += `\n--- ${dst} ping statistics ---\n${count} packets transmitted, ${ok.length} received, ${loss}% packet loss, time ${(count - 1) * 1000}ms\n`;
  if (ok.length) out += `rtt min/avg/max/mdev = ${min}/${avg}/${max}/0.000 ms\n`;
  return { ok: true, output: out, mutates: false };
}

/** One echo request walked by the kernel model; the reply's TTL is whatever the path left it. */
function echo(c: Cluster, ns: NetNs, dst: Ipv4, seq: number, size: number): EchoResult {
  const walk = new PacketWalk(c.world, socketsFor(c));
  const req = firstPacket(c, ns, { from: '', to: dst, proto: 'icmp', kind: 'ping', size }, { ip: dst });
  const reqWithSeq: Packet = req.map((l) => (l.type === 'icmp' ? { ...l, seq } : l));
  const t = walk.run(ns, reqWithSeq);
  const start = t.events[0]!.timeUs;
  const back = t.packets.find((p, k) => k > 0 && p.verdict === 'delivered' && p.host === ns.host && p.netns === ns.name);
  if (!back) return { ms: 0 };
  const evs = t.events.filter((e) => e.packetId === back.packetId);
  const last = evs.at(-1)!;
  const ip4 = last.packet[ipIndex(last.packet)] as Ipv4Layer;
  const icmp = last.packet[ipIndex(last.packet) + 1];
  const ms = (last.timeUs - start) / 1000;
  if (icmp?.type === 'icmp' && icmp.icmp_type === 0) return { ttl: ip4.ttl, ms };
  return { ms, error: `From ${ip4.src} seq=${seq} ${icmp?.type === 'icmp' ? pingErrorText(icmp.icmp_type, icmp.code) : 'Destination Host Unreachable'}` };
}

/** How ping names an ICMP error it receives (iputils pr_icmph). */
function pingErrorText(type: number, code: number): string {
  if (type === 11) return 'Time to live exceeded';
  if (type !== 3) return `ICMP type ${type}`;
  return ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable', 'Frag needed'][code] ?? `Dest Unreachable, Bad Code: ${code}`;
}

export function tracerouteCommand(c: Cluster, ns: NetNs, args: readonly string[]): Run {
  const bb = busybox(ns);
  let dst: string | undefined;
  let maxHops = 30;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') continue;
    if (a === '-m') {
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
    } else if (a.startsWith('-') && a.length > 1) return { ok: false, error: bb ? `traceroute: invalid option -- '${a.slice(1, 2)}'` : `Bad option \`${a}' (argc ${i + 1})` };
    else dst = a;
  }
  if (dst === undefined) return { ok: false, error: bb ? 'Usage: traceroute [-n] [-m MAXTTL] HOST' : 'Specify "host" missing argument.' };
  if (!isIpv4(dst)) return { ok: false, error: bb ? `traceroute: bad address '${dst}'` : `${dst}: Name or service not known` };
  const { hops } = traceroute(c, ns, dst, maxHops);
  const size = bb ? 46 : 60;
  let out = `traceroute to ${dst} (${dst}), ${maxHops} hops max, ${size} byte packets\n`;
  for (const h of hops) {
    // the simulated round trip of the probe; busybox sends three probes per hop and they take the same path
    const t = h.from ? `  ${h.from}${`  ${h.ms.toFixed(3)} ms${h.flag ? ` ${h.flag}` : ''}`.repeat(3)}` : '  *  *  *';
    out += `${String(h.ttl).padStart(2)}${t}\n`;
  }
  return { ok: true, output: out, mutates: false };
}
