import type { TunDevice } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { nsLabel } from './describe.ts';
import { processIo } from './process.ts';
import type { Skb } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// TUN (drivers/net/tun.c): tun_net_xmit queues the packet on the device's file descriptor; the
// process that holds it read(2)s it. What it writes back enters the kernel as a received packet.

/**
 * tun_net_xmit: with no process attached (no tfile) the packet is dropped and counted; otherwise
 * it is queued for the reader, leaves the kernel, and the reader decides what happens next.
 */
export function tunXmit(w: PacketWalk, ns: NetNs, dev: TunDevice, skb: Skb): void {
  const proc = dev.owner ? ns.processes.get(dev.owner) : undefined;
  if (!proc?.tunRead) {
    return w.drop(ns, skb, 'TUN_NO_READER', `tun_net_xmit: no process has ${dev.name} open, so there is nobody to read the packet (tx_dropped)`, dev.name);
  }
  w.emit(ns, 'user', skb, {
    dev: dev.name,
    verdict: proc.name,
    explanation: `${dev.name} is a TUN device: the packet is queued on its file descriptor and leaves the kernel. ${proc.name}, a process in ${nsLabel(ns)}, read(2)s it from /dev/net/tun — one copy from kernel to user space.`,
  });
  proc.tunRead(processIo(w, ns, proc, skb), dev, skb.packet);
}
