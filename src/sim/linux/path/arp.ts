import type { Ipv4, Mac } from '../../net/addr.ts';
import type { TableRef } from '../../trace/event.ts';
import type { Device } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { learn } from './bridge.ts';
import { nsLabel } from './describe.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// ARP resolution over L2 (net/ipv4/arp.c): who-has broadcast, the owner answers, both sides cache.

/**
 * ARP over L2: the request is broadcast out `dev`; whichever namespace it reaches that owns
 * `target` answers (arp_ignore=0: any local address). The answer is cached as REACHABLE.
 */
export function arpResolve(w: PacketWalk, ns: NetNs, skb: Skb, dev: Device, target: Ipv4): Mac | undefined {
  const answer = arpReach(w, dev, target);
  const ref: TableRef = { table: 'neigh' };
  if (!answer) {
    w.emit(ns, 'arp', skb, {
      dev: dev.name,
      ref,
      verdict: 'no reply',
      explanation: `ARP: who-has ${target}? broadcast on ${dev.name} — nobody on that L2 domain owns ${target}${dev.kind === 'vxlan' ? ' (a VXLAN device floods only to its FDB entries with an all-zero MAC, and there are none)' : ''}.`,
    });
    ns.neigh.set({ ip: target, dev: dev.name, state: 'FAILED', createdUs: w.world.timeUs });
    return undefined;
  }
  ns.neigh.set({ ip: target, dev: dev.name, lladdr: answer.mac, state: 'REACHABLE', createdUs: w.world.timeUs });
  const row = ns.neigh.get(dev.name, target)!.row;
  w.emit(ns, 'arp', skb, {
    dev: dev.name,
    ref: { table: 'neigh', row },
    verdict: answer.mac,
    explanation: answer.proxy
      ? `ARP: who-has ${target} tell ${ns.selectSrc(dev.name, target) ?? '?'} — nobody owns ${target}, but ${answer.host}'s ${answer.dev} has proxy_arp on and routes ${target} out of another device, so it answers "${target} is-at ${answer.mac}" with its own MAC (arp_fwd_proxy); cached as REACHABLE.`
      : `ARP: who-has ${target} tell ${ns.selectSrc(dev.name, target) ?? '?'} — ${answer.host} answers "${target} is-at ${answer.mac}" from its ${answer.dev}; cached as REACHABLE.`,
  });
  return answer.mac;
}

/**
 * Follows a broadcast frame across veths, bridges and segments to find who owns `target`.
 * The owner answers from the device the request arrived on (arp_ignore=0) and learns the
 * asker (a STALE entry), as arp_process does.
 */
export function arpReach(w: PacketWalk, out: Device, target: Ipv4): { mac: Mac; host: string; dev: string; proxy?: boolean } | undefined {
  const asker = out.netns.selectSrc(out.name, target) ?? target;
  interface Hop {
    readonly dev: Device;
    readonly tx: boolean;
    readonly prev?: Hop;
  }
  const sent = new Set<Device>();
  const heard = new Set<Device>();
  const queue: Hop[] = [{ dev: out, tx: true }];
  while (queue.length > 0) {
    const hop = queue.shift()!;
    const d = hop.dev;
    if (!d.up) continue;
    if (hop.tx) {
      if (sent.has(d)) continue;
      sent.add(d);
      if (d.kind === 'veth' && d.peer) queue.push({ dev: d.peer, tx: false, prev: hop });
      if (d.kind === 'nic' && d.segment) for (const p of w.world.segment(d.segment).ports) if (p.ns.dev(p.dev) !== d) queue.push({ dev: p.ns.dev(p.dev)!, tx: false, prev: hop });
      if (d.kind === 'bridge') for (const p of d.ports) queue.push({ dev: d.netns.dev(p)!, tx: true, prev: hop });
      continue;
    }
    if (heard.has(d)) continue;
    heard.add(d);
    if (d.master) {
      // a bridge port floods to the other ports and passes a copy up to the bridge device
      for (const p of d.master.ports) if (p !== d.name) queue.push({ dev: d.master.netns.dev(p)!, tx: true, prev: hop });
      queue.push({ dev: d.master, tx: false, prev: hop });
      continue;
    }
    const proxy = d.netns !== out.netns && !d.netns.isLocal(target) && proxyArp(d, target);
    if (d.netns !== out.netns && (d.netns.isLocal(target) || proxy)) {
      const now = w.world.timeUs;
      d.netns.neigh.set({ ip: asker, dev: d.name, lladdr: out.mac, state: 'STALE', createdUs: now });
      // bridges on the way learn the asker from the request and the owner from the reply
      for (let h: Hop | undefined = hop; h; h = h.prev) {
        if (h.dev.master && !h.tx) learn(h.dev.master, out.mac, h.dev.name, now);
        if (h.dev.master && h.tx) learn(h.dev.master, d.mac, h.dev.name, now);
      }
      return { mac: d.mac, host: nsLabel(d.netns), dev: d.name, ...(proxy ? { proxy } : {}) };
    }
  }
  return undefined;
}

/**
 * arp_process → arp_fwd_proxy: a request for an address that is not ours is answered with the
 * receiving device's MAC when that device has proxy_arp, forwarding is on, and the route to the
 * target is unicast through a different device (the reply would otherwise loop back).
 */
function proxyArp(dev: Device, target: Ipv4): boolean {
  if (!dev.proxyArp || !dev.netns.sysctl.ipForward) return false;
  const m = dev.netns.fib.lookup(target, (name) => dev.netns.dev(name)?.up === true);
  return m !== undefined && m.route.type === 'unicast' && m.route.dev !== dev.name;
}
