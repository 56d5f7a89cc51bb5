import { traceFlow } from '../../src/sim/k8s/flows.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import { decode } from '../../src/sim/net/decode.ts';
import { encode, fieldSpans, headerLength, internetChecksum } from '../../src/sim/net/encode.ts';
import type { Layer, Packet, TcpLayer } from '../../src/sim/net/packet.ts';
import type { TraceEvent } from '../../src/sim/trace/event.ts';
import { realConnectArgv } from './connection-probes.ts';
import { pcapFrames } from './kernel.ts';
import type { Probe } from './probe.ts';
import type { Roles } from './traffic-probes.ts';

/**
 * Frames captured in the lab (tcpdump on a device inside a namespace) against the frames the
 * model's trace puts on the same device: every header field the model has, lengths, checksums
 * (a real frame must re-encode to the same bytes), TTLs, DF, IP IDs by the kernel's rule,
 * encapsulation ports, TCP options and MSS.
 */

type Kind = 'syn' | 'syn-ack' | 'ack' | 'echo' | 'echo-reply';

function kindOf(p: Packet): Kind | undefined {
  const tcp = innermost(p, 'tcp') as TcpLayer | undefined;
  if (tcp) {
    const f = tcp.flags & 0x17;
    if (f === 0x02) return 'syn';
    if (f === 0x12) return 'syn-ack';
    if (f === 0x10 && tcp.ack !== 0) return 'ack';
    return undefined;
  }
  const icmp = innermost(p, 'icmp');
  if (icmp?.type === 'icmp') return icmp.icmp_type === 8 ? 'echo' : icmp.icmp_type === 0 ? 'echo-reply' : undefined;
  return undefined;
}

function innermost(p: Packet, type: Layer['type']): Layer | undefined {
  for (let i = p.length - 1; i >= 0; i--) if (p[i]!.type === type) return p[i];
  return undefined;
}

/** The fields of a frame, flattened as `layer#.type.field`; random ones replaced by their rule. */
function fields(p: Packet): Map<string, string> {
  const m = new Map<string, string>();
  p.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) {
      if (k === 'type') continue;
      const key = `${i}.${l.type}.${k}`;
      if (l.type === 'ipv4' && k === 'id') m.set(key, v === 0 ? 'zero' : 'nonzero');
      else if (l.type === 'tcp' && (k === 'seq' || k === 'ack')) m.set(key, v === 0 ? 'zero' : 'set');
      else if ((l.type === 'tcp' || l.type === 'udp') && (k === 'srcport' || k === 'dstport') && typeof v === 'number' && v >= 32768 && v <= 60999) m.set(key, 'ephemeral');
      else if (l.type === 'icmp' && k === 'ident') m.set(key, 'set');
      else if (k === 'options') m.set(key, (v as TcpLayer['options']).map((o) => (o.kind === 'mss' || o.kind === 'wscale' ? `${o.kind}=${o.value}` : o.kind)).join(','));
      else if (l.type === 'data' && k === 'text') continue;
      else m.set(key, String(v));
    }
  });
  return m;
}

/**
 * A real frame against the model's encoder: every header byte the model writes must be the
 * real one. The model keeps a payload's length, not its bytes, so the payload and the checksums
 * that cover it are left out of that comparison — and checked on the real bytes instead.
 */
function reencodes(frame: Uint8Array, p: Packet): string {
  const again = encode(p);
  if (again.length !== frame.length) return `length ${frame.length} re-encodes to ${again.length}`;
  const data = p.at(-1)?.type === 'data' ? (p.at(-1) as { length: number }).length : 0;
  const skip = new Set<number>();
  if (data) {
    for (let i = frame.length - data; i < frame.length; i++) skip.add(i);
    for (const f of fieldSpans(p)) if (f.field === 'checksum' && p[f.layer]!.type !== 'ipv4') for (let i = f.offset; i < f.offset + f.length; i++) skip.add(i);
  }
  for (let i = 0; i < frame.length; i++) if (!skip.has(i) && again[i] !== frame[i]) return `byte ${i} is 0x${frame[i]!.toString(16)}, re-encodes to 0x${again[i]!.toString(16)}`;
  return 'same bytes';
}

/** Every checksum of a real frame, verified on its own bytes: `valid`, or which one is not. */
function checksums(frame: Uint8Array, p: Packet): string {
  const bad: string[] = [];
  let off = 0;
  p.forEach((l, i) => {
    const start = off;
    off += headerLength(l);
    const ip = p[i - 1]?.type === 'ipv4' ? start - headerLength(p[i - 1]!) : -1;
    const pseudo = () => {
      let sum = 0;
      for (let k = ip + 12; k < ip + 20; k += 2) sum += (frame[k]! << 8) | frame[k + 1]!;
      return sum + frame[ip + 9]! + (frame.length - start);
    };
    if (l.type === 'ipv4' && internetChecksum(frame, start, start + 20) !== 0) bad.push(`${i}.ipv4`);
    if (l.type === 'icmp' && internetChecksum(frame, start, frame.length) !== 0) bad.push(`${i}.icmp`);
    if (l.type === 'tcp' && internetChecksum(frame, start, frame.length, pseudo()) !== 0) bad.push(`${i}.tcp`);
    const udpSum = (frame[start + 6]! << 8) | frame[start + 7]!;
    if (l.type === 'udp' && udpSum !== 0 && internetChecksum(frame, start, frame.length, pseudo()) !== 0) bad.push(`${i}.udp`);
  });
  return bad.length ? `invalid: ${bad.join(', ')}` : 'valid';
}

/** One capture point: a device in a namespace, in both worlds. */
interface Point {
  readonly ns: NetNs;
  readonly dev: string;
}

async function captureFlow(p: Probe, what: string, from: NetNs, to: string, proto: 'tcp' | 'icmp', points: readonly Point[]): Promise<void> {
  const caps = [];
  for (const pt of points) caps.push(await p.lab.capture(p.real(pt.ns), pt.dev, ['ip']));
  const [ip, port] = to.split(':');
  if (proto === 'tcp') p.lab.exec(p.real(from), realConnectArgv(ip!, Number(port)), 6000);
  // busybox in a pod, as the model's pods run it (its first echo is seq 0)
  else p.lab.exec(p.real(from), [...(from.kind === 'root' ? [] : ['busybox']), 'ping', '-c', '1', '-W', '1', ip!], 4000);
  const frames: Uint8Array[][] = [];
  for (const c of caps) frames.push(pcapFrames(await p.lab.stop(c)));
  const t = traceFlow(p.c, { from: p.target(from), to, proto, kind: proto === 'icmp' ? 'ping' : 'connect' });
  if (!t.ok) throw new Error(`model: ${what}: ${t.error.message}`);
  points.forEach((pt, i) => {
    const where = `${what} @ ${pt.ns.id} ${pt.dev}`;
    const modelFrames = framesAt(t.value.events, pt);
    const kernelFrames = frames[i]!.map((f) => ({ bytes: f, packet: safeDecode(f) }));
    for (const kind of ['syn', 'syn-ack', 'ack', 'echo', 'echo-reply'] as const) {
      const m = modelFrames.find((x) => kindOf(x) === kind);
      const k = kernelFrames.find((x) => x.packet && kindOf(x.packet) === kind);
      if (!m && !k) continue;
      if (!m || !k) {
        p.ck.check('capture', where, `${kind} seen`, m ? 'yes' : 'no', k ? 'yes' : 'no');
        continue;
      }
      p.ck.check('capture', where, `${kind} re-encodes`, 'same bytes', reencodes(k.bytes, k.packet!));
      p.ck.check('capture', where, `${kind} checksums`, 'valid', checksums(k.bytes, k.packet!));
      p.ck.check('capture', where, `${kind} frame length`, encode(m).length, k.bytes.length);
      const mf = fields(m);
      const kf = fields(k.packet!);
      for (const [key, mv] of mf) p.ck.check('capture', where, `${kind} ${key}`, mv, kf.get(key) ?? '(absent)');
      for (const key of kf.keys()) if (!mf.has(key)) p.ck.check('capture', where, `${kind} ${key}`, '(absent)', kf.get(key)!, false);
    }
    const relations = (ps: Packet[]) => {
      const syn = ps.find((x) => kindOf(x) === 'syn');
      const ack = ps.find((x) => kindOf(x) === 'ack');
      const ipId = (x: Packet | undefined) => (innermost(x ?? [], 'ipv4') as { id: number } | undefined)?.id;
      return syn && ack ? `ack's IP ID − syn's = ${((ipId(ack) ?? 0) - (ipId(syn) ?? 0) + 0x10000) & 0xffff}` : '';
    };
    const r = relations(kernelFrames.flatMap((x) => (x.packet ? [x.packet] : [])));
    if (r) p.ck.check('capture', where, 'IP ID sequence of one socket', relations(modelFrames), r);
    // udp_flow_src_port: the outer source port follows the inner packet's flow hash — a TCP
    // socket's own hash (so the SYN and its ACK share a port), or for an echo the symmetric
    // hash of the addresses (so request and reply share one)
    const outerPort = (x: Packet | undefined) => (x && x[2]?.type === 'udp' && x[3]?.type === 'vxlan' ? (x[2] as { srcport: number }).srcport : undefined);
    const vxlanRelations = (ps: Packet[]) => {
      const of = (k: Kind) => outerPort(ps.find((x) => kindOf(x) === k));
      const same = (a?: number, b?: number) => (a === undefined || b === undefined ? 'n/a' : a === b ? 'same' : 'different');
      return `syn/ack ${same(of('syn'), of('ack'))}, echo/reply ${same(of('echo'), of('echo-reply'))}`;
    };
    const kv = vxlanRelations(kernelFrames.flatMap((x) => (x.packet ? [x.packet] : [])));
    if (kv !== 'syn/ack n/a, echo/reply n/a') p.ck.check('capture', where, 'VXLAN source ports of one flow', vxlanRelations(modelFrames), kv);
  });
}

function safeDecode(f: Uint8Array): Packet | undefined {
  try {
    return decode(f);
  } catch {
    return undefined;
  }
}

/** The frames the model's trace sends or receives on a device: its tx and rx steps there. */
function framesAt(events: readonly TraceEvent[], pt: Point): Packet[] {
  return events.filter((e) => e.host === pt.ns.host && e.netns === pt.ns.name && e.dev === pt.dev && (e.kind === 'tx' || e.kind === 'rx')).map((e) => e.packet);
}

export async function captures(p: Probe, r: Roles): Promise<void> {
  const src = r.pods.find((x) => r.pods.some((y) => y.host !== x.host));
  if (!src) return;
  const dst = r.pods.find((y) => y.host !== src.host)!;
  const srcNode = r.nodeOf(src);
  const dstNode = r.nodeOf(dst);
  const nic = (n: NetNs) => p.c.spec.nodes.find((x) => x.name === n.host)!.nic;
  const points: Point[] = [
    { ns: src, dev: 'eth0' },
    { ns: srcNode, dev: nic(srcNode) },
    { ns: dstNode, dev: nic(dstNode) },
    { ns: dst, dev: 'eth0' },
  ];
  const dstIp = r.podIp(dst);
  await captureFlow(p, `tcp ${src.id} → ${dstIp}:80`, src, `${dstIp}:80`, 'tcp', points);
  await captureFlow(p, `ping ${src.id} → ${dstIp}`, src, dstIp, 'icmp', points);
}
