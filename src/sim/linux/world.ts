import type { Ipv4, Mac } from '../net/addr.ts';
import { Rng } from '../rng.ts';
import type { BridgeDevice, Device, DummyDevice, IpipDevice, LoopbackDevice, NicDevice, TunDevice, VethDevice, VxlanDevice } from './devices.ts';
import { NetNs } from './netns.ts';
import type { TableName } from './netfilter/types.ts';

/** An L2 segment (a switch or a cable): the NICs plugged into it hear each other's frames. */
export interface Segment {
  readonly name: string;
  readonly ports: { readonly ns: NetNs; readonly dev: string }[];
}

/** Renders a rule as the real command prints it; injected by the layer that owns the CLI. */
export type RuleDescriber = (ns: NetNs, table: TableName, chain: string, row: number) => string;

/** A local-in hook a kernel module registers after filter INPUT (IPVS's ip_vs_remote_request4). */
export type LocalInHook = 'ipvs';

/**
 * Every namespace on every machine, and the wires between them. This is the whole kernel state
 * a trace runs over; controllers (CNI, flannel, kube-proxy) program it, the packet path reads it.
 */
export class World {
  readonly namespaces = new Map<string, NetNs>();
  readonly segments = new Map<string, Segment>();
  readonly rng: Rng;
  /** the per-boot hash seed the kernel mixes into flow hashes (VXLAN source ports) */
  readonly hashSeed: number;
  /** simulated time, microseconds: advances as packets move, stamps pcap frames */
  timeUs = 1_700_000_000_000_000;
  describeRule?: RuleDescriber;
  private macCounter = 0;

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.hashSeed = this.rng.nextU32();
  }

  ns(host: string, name = 'root'): NetNs | undefined {
    return this.namespaces.get(`${host}/${name}`);
  }

  createNs(host: string, name: string, kind: NetNs['kind']): NetNs {
    const ns = new NetNs(host, name, kind);
    if (this.namespaces.has(ns.id)) throw new Error(`namespace ${ns.id} exists`);
    this.namespaces.set(ns.id, ns);
    const lo: LoopbackDevice = { kind: 'loopback', name: 'lo', ifindex: ns.allocIfindex(), netns: ns, mac: '00:00:00:00:00:00' as Mac, mtu: 65536, up: true, addrs: [] };
    ns.devices.set('lo', lo);
    ns.addAddress(lo, { addr: '127.0.0.1' as Ipv4, prefixLen: 8, scope: 'host' });
    return ns;
  }

  /** A locally administered unicast MAC from the seeded PRNG (the kernel's eth_random_addr). */
  randomMac(): Mac {
    const b = [this.rng.nextU32() & 0xfe, this.rng.nextU32(), this.rng.nextU32(), this.rng.nextU32(), this.rng.nextU32(), (this.rng.nextU32() + this.macCounter++) & 0xff];
    b[0] = (b[0]! | 0x02) & 0xfe;
    return b.map((x) => (x & 0xff).toString(16).padStart(2, '0')).join(':') as Mac;
  }

  private attach<D extends Device>(ns: NetNs, dev: D): D {
    if (ns.devices.has(dev.name)) throw new Error(`device ${dev.name} exists in ${ns.id}`);
    ns.devices.set(dev.name, dev);
    return dev;
  }

  addNic(ns: NetNs, name: string, segment: string, mac?: Mac, mtu = 1500): NicDevice {
    const dev = this.attach(ns, { kind: 'nic', name, ifindex: ns.allocIfindex(), netns: ns, mac: mac ?? this.randomMac(), mtu, up: true, addrs: [], segment } as NicDevice);
    this.segment(segment).ports.push({ ns, dev: name });
    return dev;
  }

  segment(name: string): Segment {
    let s = this.segments.get(name);
    if (!s) this.segments.set(name, (s = { name, ports: [] }));
    return s;
  }

  addBridge(ns: NetNs, name: string, mtu = 1500): BridgeDevice {
    return this.attach(ns, { kind: 'bridge', name, ifindex: ns.allocIfindex(), netns: ns, mac: this.randomMac(), mtu, up: true, addrs: [], ports: [], fdb: [] } as BridgeDevice);
  }

  /** `ip link add A type veth peer name B netns …`: two ends, possibly in two namespaces. */
  addVethPair(nsA: NetNs, nameA: string, nsB: NetNs, nameB: string, mtu = 1500): [VethDevice, VethDevice] {
    const a = this.attach(nsA, { kind: 'veth', name: nameA, ifindex: nsA.allocIfindex(), netns: nsA, mac: this.randomMac(), mtu, up: true, addrs: [] } as VethDevice);
    const b = this.attach(nsB, { kind: 'veth', name: nameB, ifindex: nsB.allocIfindex(), netns: nsB, mac: this.randomMac(), mtu, up: true, addrs: [] } as VethDevice);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  /** `ip link set PORT master BR`: the bridge's FDB gets the port's own MAC as a local entry. */
  enslave(br: BridgeDevice, port: Device, hairpin = false): void {
    port.master = br;
    port.hairpin = hairpin;
    br.ports.push(port.name);
    br.fdb.push({ mac: port.mac, port: port.name, permanent: true, local: true });
  }

  addVxlan(ns: NetNs, o: { name: string; vni: number; dstport: number; local: Ipv4; lowerDev: string; mtu: number; mac?: Mac; learning?: boolean }): VxlanDevice {
    return this.attach(ns, {
      kind: 'vxlan', name: o.name, ifindex: ns.allocIfindex(), netns: ns, mac: o.mac ?? this.randomMac(), mtu: o.mtu, up: true, addrs: [],
      vni: o.vni, dstport: o.dstport, local: o.local, lowerDev: o.lowerDev, learning: o.learning ?? false, fdb: [],
    } as VxlanDevice);
  }

  addDummy(ns: NetNs, name: string): DummyDevice {
    return this.attach(ns, { kind: 'dummy', name, ifindex: ns.allocIfindex(), netns: ns, mac: this.randomMac(), mtu: 1500, up: true, addrs: [] } as DummyDevice);
  }

  /**
   * `modprobe ipip` in a namespace: the fallback tunnel tunl0 appears, down, with every
   * parameter zero (ip_tunnel_init_net). Its MTU is ip_tunnel_bind_dev's with no lower device:
   * ETH_DATA_LEN minus the 20-byte outer header, 1480.
   */
  addIpipFallback(ns: NetNs): IpipDevice {
    return this.attach(ns, {
      kind: 'ipip', name: 'tunl0', ifindex: ns.allocIfindex(), netns: ns, mac: '00:00:00:00:00:00' as Mac, mtu: 1480, up: false, addrs: [],
      ttl: 0, pmtudisc: false, fallback: true,
    } as IpipDevice);
  }

  /**
   * `ip link add NAME type ipip …`: a tunnel of its own (not the fallback), created down. Its MTU
   * is ip_tunnel_bind_dev's: the lower device's toward the remote, else ETH_DATA_LEN, minus 20.
   */
  addIpip(ns: NetNs, o: { name: string; local?: Ipv4; remote?: Ipv4; ttl: number; pmtudisc: boolean }): IpipDevice {
    const toRemote = o.remote ? ns.fib.lookup(o.remote) : undefined;
    const lower = toRemote ? ns.dev(toRemote.route.dev) : undefined;
    return this.attach(ns, {
      kind: 'ipip', name: o.name, ifindex: ns.allocIfindex(), netns: ns, mac: '00:00:00:00:00:00' as Mac, mtu: (lower?.mtu ?? 1500) - 20, up: false, addrs: [],
      ...(o.local ? { local: o.local } : {}), ...(o.remote ? { remote: o.remote } : {}), ttl: o.ttl, pmtudisc: o.pmtudisc, fallback: false,
    } as IpipDevice);
  }

  /** open("/dev/net/tun") + TUNSETIFF IFF_TUN|IFF_NO_PI by `owner`: the device exists while the process holds it. */
  addTun(ns: NetNs, name: string, owner: string, mtu = 1500): TunDevice {
    return this.attach(ns, { kind: 'tun', name, ifindex: ns.allocIfindex(), netns: ns, mac: '00:00:00:00:00:00' as Mac, mtu, up: false, addrs: [], owner, persist: false } as TunDevice);
  }

  /** Which namespace owns an address (for naming hosts in output; not used by the packet path). */
  ownerOf(ip: Ipv4): NetNs | undefined {
    for (const ns of this.namespaces.values()) {
      for (const d of ns.devices.values()) if (d.kind !== 'loopback' && d.kind !== 'dummy' && d.addrs.some((a) => a.addr === ip)) return ns;
    }
    return undefined;
  }

  tick(us: number): void {
    this.timeUs += us;
  }
}

