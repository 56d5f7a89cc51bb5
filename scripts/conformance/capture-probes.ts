import { traceFlow } from '../../src/sim/k8s/flows.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import { decode } from '../../src/sim/net/decode.ts';
import { encode } from '../../src/sim/net/encode.ts';
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

/** A real frame re-encoded by the model's encoder: equal bytes mean equal lengths and checksums. */
function reencodes(frame: Uint8Array): string {
  let p: Packet;
  try {
    p = decode(frame);
  } catch (e) {
    return `does not decode: ${(e as Error).message}`;
  }
  const again = encode(p);
  // Ethernet pads a short frame to 60 bytes; the model encodes it unpadded
  const real = frame.length > again.length && frame.length === 60 ? frame.subarray(0, again.length) : frame;
  if (again.length !== real.length) return `length ${real.length} re-encodes to ${again.length}`;
  for (let i = 0; i < real.length; i++) if (again[i] !== real[i]) return `byte ${i} is 0x${real[i]!.toString(16)}, re-encodes to 0x${again[i]!.toString(16)}`;
  return 'same bytes';
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
  else p.lab.exec(p.real(from), ['ping', '-c', '1', '-W', '1', ip!], 4000);
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
      p.ck.check('capture', where, `${kind} re-encodes`, 'same bytes', reencodes(k.bytes));
      p.ck.check('capture', where, `${kind} frame length`, encode(m).length, Math.max(k.bytes.length, 0) === 60 ? encode(k.packet!).length : k.bytes.length);
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
