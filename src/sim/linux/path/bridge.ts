import type { Mac } from '../../net/addr.ts';
import { ipIndex, ipOf } from '../../net/edit.ts';
import type { EthernetLayer } from '../../net/packet.ts';
import type { BridgeDevice, Device } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { arpResolve } from './arp.ts';
import { conntrackIn, confirm } from './conntrack.ts';
import { count, devXmit } from './dev.ts';
import { ipRcv } from './input.ts';
import { hook, applyVerdict } from './netfilter.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// The bridge (net/bridge/br_input.c, br_forward.c, br_netfilter_hooks.c): learning, FDB forwarding, flooding, br_netfilter.

/** br_handle_frame: learn the source, br_netfilter PREROUTING, then FDB lookup. */
export function bridgeInput(w: PacketWalk, ns: NetNs, br: BridgeDevice, port: Device, skb: Skb): void {
  const eth = skb.packet[0] as EthernetLayer;
  learn(br, eth.src, port.name, w.world.timeUs);
  skb.physIn = port.name;
  skb.inDev = br.name;
  if (ns.sysctl.bridgeNfCallIptables && ipIndex(skb.packet) >= 0) {
    // br_nf_pre_routing: the IPv4 PREROUTING hooks run here, with in=<bridge>, physdev-in=<port>
    const dstBefore = ipOf(skb.packet)!.dst;
    conntrackIn(w, ns, skb, 'PREROUTING');
    const v = hook(w, ns, skb, 'PREROUTING', br.name, undefined);
    applyVerdict(w, ns, skb, v, 'PREROUTING', false);
    skb.brnfDone = true;
    const dst = ipOf(skb.packet)!.dst;
    if (dst !== dstBefore) {
      // br_nf_pre_routing_finish: after DNAT the frame is re-routed
      const m = ns.isLocal(dst) ? undefined : w.lookup(ns, dst);
      if (m && m.route.dev === br.name) {
        // bridged_dnat: the new destination is behind this same bridge: stay on L2
        w.emit(ns, 'route', skb, { dev: br.name, ref: { table: 'route', row: m.row }, verdict: `dev ${br.name}`, explanation: `After DNAT, ${dst} is reachable through ${br.name} itself, so br_netfilter keeps the frame on the bridge (bridged DNAT) and resolves the new destination's MAC.` });
        const n = ns.neigh.get(br.name, dst)?.entry.lladdr ?? arpResolve(w, ns, skb, br, dst);
        if (!n) return w.drop(ns, skb, 'NEIGH_FAILED', `no ARP reply for ${dst} on ${br.name}`);
        const changed = w.edit(skb, 0, { dst: n });
        w.emit(ns, 'bridge', skb, { dev: br.name, changed, verdict: n, explanation: `Destination MAC rewritten to ${dst}'s ${n}.` });
      } else {
        const changed = w.edit(skb, 0, { dst: br.mac });
        w.emit(ns, 'bridge', skb, { dev: br.name, changed, verdict: 'to host', explanation: `After DNAT the destination ${dst} is not on ${br.name}: br_netfilter rewrites the destination MAC to ${br.name}'s own so the host routes it.` });
      }
    }
  }
  bridgeForward(w, ns, br, skb, port);
}

/** br_handle_frame_finish / br_dev_xmit: local delivery, forward to the port that has the MAC, or flood. */
export function bridgeForward(w: PacketWalk, ns: NetNs, br: BridgeDevice, skb: Skb, inPort: Device | undefined): void {
  const dst = (skb.packet[0] as EthernetLayer).dst;
  const row = br.fdb.findIndex((e) => e.mac === dst);
  const entry = br.fdb[row];
  if (inPort && (dst === br.mac || (entry?.local && dst === br.mac))) {
    w.emit(ns, 'bridge', skb, {
      dev: br.name,
      ref: { table: 'bridge-fdb', row: row < 0 ? undefined : row },
      verdict: 'local',
      explanation: `The destination MAC ${dst} is ${br.name}'s own: the bridge passes the frame up to the host's IP stack (${br.name}'s address is the default gateway of the namespaces plugged into it).`,
    });
    // br_pass_frame_up counts the frame as received by the bridge device itself
    count(br, 'rx', skb);
    ipRcv(w, ns, br, skb);
    return;
  }
  let outPort: Device | undefined;
  if (entry && !entry.local) outPort = ns.dev(entry.port);
  if (!outPort) {
    // unknown unicast or broadcast: flood; follow the copy that reaches the owner of the MAC
    outPort = br.ports.map((p) => ns.dev(p)!).find((p) => p !== inPort && p.kind === 'veth' && p.peer?.mac === dst);
    w.emit(ns, 'bridge', skb, {
      dev: br.name,
      ref: { table: 'bridge-fdb' },
      verdict: outPort ? `flood → ${outPort.name}` : 'flood',
      explanation: `${dst} is not in ${br.name}'s FDB yet, so the bridge floods the frame to every port${outPort ? `; the copy on ${outPort.name} reaches its owner` : ''}.`,
    });
    if (!outPort) return w.drop(ns, skb, 'NO_L2_DEST', `no port of ${br.name} leads to ${dst}`);
  } else {
    w.emit(ns, 'fdb', skb, {
      dev: br.name,
      ref: { table: 'bridge-fdb', row },
      verdict: outPort.name,
      explanation: `Bridge FDB: ${dst} was learned on port ${outPort.name}, so ${br.name} forwards the frame there.`,
    });
  }
  if (outPort === inPort && !outPort.hairpin) {
    return w.drop(ns, skb, 'BRIDGE_NO_HAIRPIN', `the frame would leave by the port it came in on and ${outPort.name} has hairpin mode off`);
  }
  if (ns.sysctl.bridgeNfCallIptables && ipIndex(skb.packet) >= 0 && inPort) {
    // br_nf_forward_ip / br_nf_post_routing: bridged IPv4 also crosses FORWARD and POSTROUTING
    const v = hook(w, ns, skb, 'FORWARD', br.name, br.name);
    applyVerdict(w, ns, skb, v, 'FORWARD', false);
    const pv = hook(w, ns, skb, 'POSTROUTING', br.name, br.name);
    applyVerdict(w, ns, skb, pv, 'POSTROUTING', false);
    confirm(w, ns, skb);
  }
  devXmit(w, ns, outPort, skb);
}

export function learn(br: BridgeDevice, mac: Mac, port: string, nowUs: number): void {
  const row = br.fdb.findIndex((e) => e.mac === mac);
  if (row >= 0) {
    const old = br.fdb[row]!;
    if (old.permanent || old.port === port) return;
    br.fdb.splice(row, 1);
  }
  br.fdb.push({ mac, port, permanent: false, local: false, createdUs: nowUs });
}
