import { isIpv4, type Ipv4 } from '../net/addr.ts';
import type { IpipDevice } from '../linux/devices.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';

/** A mutation's outcome, as ip.ts's EditResult. */
type Edit = { ok: true } | { ok: false; error: string };

const notModelled = (what: string) => `kube-packet-lab: ${what} is not part of the simulated kernel`;

/**
 * `ip link add [name] NAME type ipip [remote ADDR|any] [local ADDR|any] [ttl N|inherit]
 * [[no]pmtudisc]` (ip/iplink.c, ip/link_iptnl.c iptunnel_parse_opt) — the one kind the lab can
 * create. Loading the ipip module first creates the fallback tunl0 (ip_tunnel_init_net), so
 * `ip link add tunl0 type ipip` then finds it existing. iproute2 asks for pmtudisc unless told
 * nopmtudisc; a tunnel with a remote is point-to-point.
 */
export function ipLinkAdd(world: World, ns: NetNs, args: readonly string[]): Edit {
  let name: string | undefined;
  let type: string | undefined;
  let local: Ipv4 | undefined;
  let remote: Ipv4 | undefined;
  let ttl = 0;
  let pmtudisc = true;
  const addr = (v: string | undefined): Ipv4 | undefined | Error => {
    if (v === undefined) return new Error('Command line is not complete. Try option "help"');
    if (v === 'any') return undefined;
    return isIpv4(v) ? v : new Error(`Error: an inet address is expected rather than "${v}".`);
  };
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w === 'type') type = args[++i];
    else if (w === 'name') name = args[++i];
    else if (w === 'remote' || w === 'local') {
      const a = addr(args[++i]);
      if (a instanceof Error) return { ok: false, error: a.message };
      if (w === 'remote') remote = a;
      else local = a;
    } else if (w === 'ttl' || w === 'hoplimit') {
      const v = args[++i];
      if (v === 'inherit') ttl = 0;
      else if (v !== undefined && /^\d+$/.test(v) && Number(v) <= 255) ttl = Number(v);
      else return { ok: false, error: `Error: argument "${v ?? ''}" is wrong: invalid TTL` };
    } else if (w === 'pmtudisc') pmtudisc = true;
    else if (w === 'nopmtudisc') pmtudisc = false;
    else if (type === undefined && name === undefined) name = w;
    else return { ok: false, error: type === 'ipip' ? notModelled(`the ipip option "${w}"`) : `Error: either "dev" is duplicate, or "${w}" is a garbage.` };
  }
  if (type === undefined) return { ok: false, error: 'Not enough information: "type" argument is required' };
  if (type !== 'ipip') return { ok: false, error: notModelled(`creating a "${type}" device (ip link add creates ipip tunnels here)`) };
  if (name === undefined) return { ok: false, error: 'Not enough information: "dev" argument is required.' };
  if (name.length > 15) return { ok: false, error: `Error: argument "${name}" is wrong: "name" not a valid ifname` };
  if (ttl && !pmtudisc) return { ok: false, error: 'ttl != 0 and nopmtudisc are incompatible' };
  if (![...ns.devices.values()].some((d) => d.kind === 'ipip')) world.addIpipFallback(ns);
  if (ns.dev(name)) return { ok: false, error: 'RTNETLINK answers: File exists' };
  const same = [...ns.devices.values()].find((d): d is IpipDevice => d.kind === 'ipip' && !d.fallback && d.local === local && d.remote === remote);
  if (same) return { ok: false, error: 'RTNETLINK answers: File exists' };
  world.addIpip(ns, { name, ...(local ? { local } : {}), ...(remote ? { remote } : {}), ttl, pmtudisc });
  return { ok: true };
}

/**
 * `ip link del NAME` for an IP tunnel: ip_tunnel_dellink unregisters it and its routes go
 * (fib_sync_down_dev); the fallback tunl0 is never deleted — dellink leaves it alone.
 */
export function ipLinkDel(ns: NetNs, args: readonly string[]): Edit {
  const name = args[0] === 'dev' || args[0] === 'name' ? args[1] : args[0];
  if (name === undefined) return { ok: false, error: 'Not enough information: "dev" argument is required.' };
  const dev = ns.dev(name);
  if (!dev) return { ok: false, error: `Cannot find device "${name}"` };
  if (dev.kind !== 'ipip') return { ok: false, error: notModelled(`deleting a ${dev.kind} device`) };
  if (dev.fallback) return { ok: true };
  ns.devices.delete(name);
  ns.fib.remove((r) => r.dev === name);
  ns.invalidateAddrs();
  return { ok: true };
}
