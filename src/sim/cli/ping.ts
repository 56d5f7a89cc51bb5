import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { ipIndex } from '../net/edit.ts';
import { ipLength } from '../net/encode.ts';
import type { IcmpLayer, Ipv4Layer, Packet } from '../net/packet.ts';
import type { NetNs } from '../linux/netns.ts';
import { PacketWalk } from '../linux/path/walk.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { firstPacket, socketsFor, traceroute, type TracerouteProbe } from '../k8s/flows.ts';

/**
 * `ping` and `traceroute` in a shell on a host or in a pod. Every echo and probe is walked by the
 * kernel model; what they print is read off what came back. Hosts run iputils and Debian's
 * traceroute; pods run busybox (`kubectl debug --image=busybox`, as in the seed).
 */

type Run = { ok: true; output: string; mutates: boolean } | { ok: false; error: string };

/** Whether a namespace runs busybox (pods, via `kubectl debug --image=busybox`) or iputils. */
function busybox(ns: NetNs): boolean {
  return ns.kind !== 'root';
}

/** IP_MTU_DISCOVER as `ping -M` sets it; the kernel's default for a raw socket is `want`. */
type Pmtudisc = 'do' | 'dont' | 'want';

interface EchoResult {
  readonly ttl?: number;
  readonly ms: number;
  /** an ICMP error that came back, as ping prints it (without the seq) */
  readonly error?: { readonly from: Ipv4; readonly text: string };
  /** sendmsg failed locally: EMSGSIZE, with the MTU the kernel checked against */
  readonly localMtu?: number;
}

export function pingCommand(c: Cluster, ns: NetNs, args: string[]): Run {
  let count = 3;
  let size = 56;
  let pmtudisc: Pmtudisc = 'want';
  let dst: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c') count = Number(args[++i]);
    else if (a === '-s') size = Number(args[++i]);
    else if (a === '-M') {
      const m = args[++i];
      if (m !== 'do' && m !== 'dont' && m !== 'want') return { ok: false, error: `ping: invalid -M argument: ${m ?? ''} (do, dont or want)` };
      pmtudisc = m;
    } else if (a === '-W' || a === '-w' || a === '-i') {
      // timeouts and intervals: the model has no clock to wait on
      const v = Number(args[++i]);
      if (!Number.isFinite(v) || v < 0) return { ok: false, error: `ping: invalid argument: '${args[i] ?? ''}'` };
    } else if (a === '-n' || a === '-q') continue;
    else if (a.startsWith('-')) return { ok: false, error: `ping: unsupported option ${a}` };
    else dst = a;
  }
  if (!dst || !isIpv4(dst)) return { ok: false, error: `ping: bad address '${dst ?? ''}'` };
  if (!Number.isInteger(count) || count < 1 || count > 100) return { ok: false, error: `ping: invalid count` };
  if (!Number.isInteger(size) || size < 0 || size > 65507) return { ok: false, error: `ping: invalid packet size` };
  // iputils numbers echoes from 1, busybox from 0
  const first = busybox(ns) ? 0 : 1;
  const results: EchoResult[] = [];
  for (let n = 0; n < count; n++) {
    const r = echo(c, ns, dst, first + n, size, pmtudisc);
    results.push(r);
    // busybox dies on a failed sendto
    if (r.localMtu !== undefined && busybox(ns)) break;
  }
  return { ok: true, output: busybox(ns) ? busyboxOutput(dst, size, count, results) : iputilsOutput(dst, size, count, results), mutates: false };
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

/** How ping names an ICMP error it receives (iputils pr_icmph). */
function pingErrorText(icmp: IcmpLayer): string {
  const { icmp_type: type, code } = icmp;
  if (type === 11) return 'Time to live exceeded';
  if (type !== 3) return `ICMP type ${type}`;
  if (code === 4) return `Frag needed and DF set (mtu = ${icmp.mtu ?? 0})`;
  return ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable'][code] ?? `Dest Unreachable, Bad Code: ${code}`;
}

/** `traceroute [-n] [-I | -T [-p PORT]] [-m MAX] [-w S] [-q N] DST` */
export function tracerouteCommand(c: Cluster, ns: NetNs, args: string[]): Run {
  let dst: string | undefined;
  let maxHops = 30;
  let kind: 'udp' | 'icmp' | 'tcp' = 'udp';
  let port: number | undefined;
  let queries = 3;
  // how long a probe is waited for: busybox 3 s, Debian's traceroute up to 5 s
  let waitS = busybox(ns) ? 3 : 5;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') continue;
    if (a === '-I') kind = 'icmp';
    else if (a === '-T') kind = 'tcp';
    else if (a === '-p') port = Number(args[++i]);
    else if (a === '-m') maxHops = Number(args[++i]);
    else if (a === '-q') {
      queries = Number(args[++i]);
      if (!Number.isInteger(queries) || queries < 1 || queries > 10) return { ok: false, error: `traceroute: bad value for -q: '${args[i] ?? ''}' (1 to 10 probes per hop)` };
    } else if (a === '-w') {
      waitS = Number(args[++i]);
      if (!Number.isFinite(waitS) || waitS < 0 || waitS > 60) return { ok: false, error: `traceroute: bad value for -w: '${args[i] ?? ''}'` };
    } else if (a.startsWith('-')) return { ok: false, error: `traceroute: unsupported option ${a}` };
    else dst = a;
  }
  if (!dst || !isIpv4(dst)) return { ok: false, error: `traceroute: bad address '${dst ?? ''}'` };
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > 255) return { ok: false, error: 'traceroute: max hops must be 1 to 255' };
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) return { ok: false, error: 'traceroute: bad port' };
  const probe: TracerouteProbe = kind === 'tcp' ? { kind, port: port ?? 80 } : { kind };
  const { hops } = traceroute(c, ns, dst, maxHops, probe, queries, waitS * 1_000_000);
  // busybox sends 38 data bytes (46 with the headers it counts), Debian's traceroute 60-byte packets
  const size = busybox(ns) ? 46 : 60;
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
        line += `  ${pr.ms.toFixed(3)} ms`;
      }
    }
    out += `${line}\n`;
  }
  return { ok: true, output: out, mutates: false };
}
