import { intToIp, ipToInt, parseCidr, type Cidr, type Ipv4, type Mac } from '../net/addr.ts';
import type { BridgeDevice } from '../linux/devices.ts';
import { applyIptables } from '../linux/netfilter/syntax.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import { DEFAULT_BRIDGE, namespaceOwner, prefixesOverlap, type ContainerSpec, type DockerHostSpec, type DockerSpec } from './docker-spec.ts';

/**
 * dockerd with libnetwork's bridge driver, as Docker 20.10–27 runs it (the DOCKER /
 * DOCKER-USER / DOCKER-ISOLATION-STAGE-1/2 chain layout of moby's
 * integration/network/bridge/iptablesdoc "new daemon" and "usernet-portmap" pages), on the
 * machines of a cluster file. Like the CNI bridge plugin for a pod, it is a controller: it only
 * programs the kernel model — devices, addresses, routes, iptables — and the packet path does
 * the rest. Seed §2a's four modes:
 *   bridge     own namespace, veth `vethXXXXXXX` on docker0 (or a user network's `br-<id>`),
 *              eth0 with the IP, default route via the bridge's address;
 *   host       no namespace of its own: the processes live in the host's root namespace;
 *   container  the namespace of an existing container — the same namespace, no new device;
 *   none       its own namespace with only lo.
 */

/** A network as `docker network ls` lists it. */
export interface DockerNetwork {
  /** 64 hex digits (stringid.GenerateRandomID) */
  readonly id: string;
  readonly name: string;
  readonly driver: 'bridge' | 'host' | 'null';
  /** the bridge device: docker0 or br-<12 hex of id> */
  readonly bridge?: string;
  readonly subnet?: Cidr;
  readonly gateway?: Ipv4;
  /** the default bridge network (`com.docker.network.bridge.default_bridge`) */
  readonly isDefault: boolean;
  readonly createdUs: number;
}

/** A container's endpoint on a network (libnetwork's bridgeEndpoint / EndpointSettings). */
export interface DockerEndpoint {
  readonly id: string;
  readonly network: DockerNetwork;
  /** bridge networks only: the address, its prefix, the gateway and the veth pair */
  readonly ip?: Ipv4;
  readonly prefixLen?: number;
  readonly gateway?: Ipv4;
  readonly mac?: Mac;
  readonly hostVeth?: string;
}

/** A `-p` mapping once the daemon allocated it. */
export interface PortBinding {
  readonly hostIp: Ipv4;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface DockerContainer {
  readonly id: string;
  readonly spec: ContainerSpec;
  /** the namespace its processes run in: its own, the joined container's, or the host's root */
  readonly ns: NetNs;
  /** bridge, user network, host and none containers have one endpoint; container mode none */
  readonly endpoint?: DockerEndpoint;
  /** container mode: the container named in --network container:<name> */
  readonly joined?: DockerContainer;
  readonly sandboxId: string;
  /** `/var/run/docker/netns/<12 hex>`, `/var/run/docker/netns/default` for host mode */
  readonly sandboxKey: string;
  readonly ports: readonly PortBinding[];
  readonly createdUs: number;
}

/** One daemon's view: its networks and containers (what the docker CLI renders). */
export interface DockerDaemon {
  readonly host: DockerHostSpec;
  readonly ns: NetNs;
  readonly networks: readonly DockerNetwork[];
  /** in creation order */
  readonly containers: readonly DockerContainer[];
  /** the daemon's "now" when the cluster came up, µs (for CREATED / STATUS) */
  readonly nowUs: number;
}

export interface DockerRuntime {
  readonly daemons: readonly DockerDaemon[];
  /** each Docker host's root namespace, by host name */
  readonly hosts: ReadonlyMap<string, NetNs>;
  /** where each container's processes run, by container name (host mode: the host's root ns) */
  readonly containers: ReadonlyMap<string, NetNs>;
}

/** libnetwork's default address pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
function* defaultPools(): Generator<Cidr> {
  for (let b = 17; b <= 31; b++) yield `172.${b}.0.0/16` as Cidr;
  for (let c = 0; c < 256; c += 16) yield `192.168.${c}.0/20` as Cidr;
}

/** Brings up every DockerHost of the spec: the machine, then dockerd, its networks and containers. */
export function dockerUp(world: World, spec: DockerSpec): DockerRuntime {
  const daemons: DockerDaemon[] = [];
  const hosts = new Map<string, NetNs>();
  const containers = new Map<string, NetNs>();
  for (const h of spec.hosts) {
    const d = new Dockerd(world, h, spec);
    daemons.push(d.state);
    hosts.set(h.name, d.ns);
    for (const c of d.state.containers) containers.set(c.spec.name, c.ns);
  }
  return { daemons, hosts, containers };
}

/** The address a container is reached at: its bridge IP, the host's for host mode, the owner's for container mode. */
export function containerAddress(rt: DockerRuntime, name: string): Ipv4 | undefined {
  for (const d of rt.daemons) {
    const c = d.containers.find((x) => x.spec.name === name);
    if (!c) continue;
    let owner = c;
    while (owner.joined) owner = owner.joined;
    if (owner.spec.mode === 'host') return d.host.address;
    return owner.endpoint?.ip;
  }
  return undefined;
}

class Dockerd {
  readonly ns: NetNs;
  readonly state: DockerDaemon;
  private readonly networks: DockerNetwork[] = [];
  private readonly containers: DockerContainer[] = [];
  private readonly nextIp = new Map<DockerNetwork, number>();
  private nextEphemeral = 32768;

  constructor(
    private readonly world: World,
    private readonly h: DockerHostSpec,
    spec: DockerSpec,
  ) {
    const mine = spec.containers.filter((c) => c.host === h.name);
    const nowUs = world.timeUs;
    const oldest = Math.max(0, ...mine.map((c) => c.startedAgoSec));
    const bootUs = nowUs - (oldest + 3600) * 1e6;
    this.ns = this.provision();
    this.setupIPChains();
    // the predefined networks, then docker0, then `docker network create` in order
    this.networks.push(
      { id: this.randomId(), name: 'host', driver: 'host', isDefault: false, createdUs: bootUs },
      { id: this.randomId(), name: 'none', driver: 'null', isDefault: false, createdUs: bootUs },
    );
    const bip = parseCidr(`${h.bip.address}/${h.bip.prefixLen}`);
    this.createBridgeNetwork(DEFAULT_BRIDGE, `${intToIp(bip.net)}/${bip.len}` as Cidr, h.bip.address, 'docker0', true, bootUs);
    spec.networks
      .filter((n) => n.host === h.name)
      .forEach((n, k) => {
        const subnet = n.subnet ?? this.nextPool();
        const gateway = n.gateway ?? intToIp(parseCidr(subnet).net + 1);
        this.createBridgeNetwork(n.name, subnet, gateway, n.bridge, false, bootUs + (k + 1) * 60e6);
      });
    this.reserveFixedIps(mine);
    // a namespace's owner starts before the containers that join it (docker needs it running)
    const ids = new Map(mine.map((c) => [c.name, this.randomId()]));
    const byName = new Map(spec.containers.map((c) => [c.name, c]));
    const nsNames = namespaceNames(mine, byName);
    for (const c of mine) if (c.mode !== 'container') this.run(c, ids.get(c.name)!, nowUs, nsNames.get(c.name)!);
    // joins in dependency order: a container joining a container-mode container waits for it
    let pending = mine.filter((c) => c.mode === 'container');
    while (pending.length > 0) {
      const ready = pending.filter((c) => this.containers.some((x) => x.spec.name === c.joins));
      if (ready.length === 0) throw new Error(`dockerd on ${h.name}: ${pending.map((c) => `${c.name} joins ${c.joins}`).join(', ')}, which is not running`);
      for (const c of ready) this.join(c, ids.get(c.name)!, nowUs);
      pending = pending.filter((c) => !ready.includes(c));
    }
    // `docker ps` and the CLI want creation order: the file's
    const order = new Map(mine.map((c, i) => [c.name, i]));
    this.containers.sort((a, b) => order.get(a.spec.name)! - order.get(b.spec.name)!);
    this.state = { host: h, ns: this.ns, networks: this.networks, containers: this.containers, nowUs };
  }

  // ------------------------------------------------------------ the machine

  /** The host before dockerd: its NIC on the LAN with a static address and default route, sshd. */
  private provision(): NetNs {
    const h = this.h;
    const ns = this.world.createNs(h.name, 'root', 'root');
    const nic = this.world.addNic(ns, h.nic, h.network);
    ns.addAddress(nic, { addr: h.address, prefixLen: h.prefixLen });
    if (h.gateway) ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: h.gateway, dev: h.nic, proto: 'static', scope: 'global', type: 'unicast' });
    for (const l of h.listen) ns.listeners.push({ proto: l.protocol === 'UDP' ? 'udp' : 'tcp', port: l.port, process: l.process });
    ns.sysctl.ipForward = h.ipForward;
    // bridge driver configure(): `modprobe -va bridge br_netfilter` — the module's default
    // net.bridge.bridge-nf-call-iptables=1 sends bridged IPv4 through iptables
    ns.sysctl.bridgeNfCallIptables = true;
    return ns;
  }

  private ipt(...argv: string[]): void {
    const r = applyIptables(this.ns.nf, argv);
    if (!r.ok) throw new Error(`dockerd on ${this.h.name}: iptables ${argv.join(' ')}: ${r.error}`);
  }

  /** go-iptables Exists(): `iptables -C` */
  private exists(table: 'nat' | 'filter', chain: string, ...rule: string[]): boolean {
    return applyIptables(this.ns.nf, ['-t', table, '-C', chain, ...rule]).ok;
  }

  /**
   * setupIPChains (bridge driver configure): the nat and filter DOCKER chains and the two
   * isolation stages, each stage ending in RETURN (AddReturnRule); then setupIPForwarding: if
   * net.ipv4.ip_forward was 0 dockerd sets it to 1 and, with iptables on, FORWARD's policy to DROP.
   */
  private setupIPChains(): void {
    this.ipt('-t', 'nat', '-N', 'DOCKER');
    this.ipt('-t', 'filter', '-N', 'DOCKER');
    this.ipt('-t', 'filter', '-N', 'DOCKER-ISOLATION-STAGE-1');
    this.ipt('-t', 'filter', '-N', 'DOCKER-ISOLATION-STAGE-2');
    this.ipt('-A', 'DOCKER-ISOLATION-STAGE-1', '-j', 'RETURN');
    this.ipt('-A', 'DOCKER-ISOLATION-STAGE-2', '-j', 'RETURN');
    if (!this.ns.sysctl.ipForward) {
      this.ns.sysctl.ipForward = true;
      this.ipt('-P', 'FORWARD', 'DROP');
    }
  }

  // ------------------------------------------------------------ networks

  private randomId(): string {
    let s = '';
    for (let i = 0; i < 8; i++) s += this.world.rng.nextU32().toString(16).padStart(8, '0');
    return s;
  }

  /** ipamutils: the first default pool that overlaps no network on this host and not its LAN. */
  private nextPool(): Cidr {
    const taken = [`${this.h.address}/${this.h.prefixLen}`, ...this.networks.filter((n) => n.subnet).map((n) => n.subnet!)];
    for (const p of defaultPools()) if (!taken.some((t) => prefixesOverlap(t, p))) return p;
    throw new Error(`dockerd on ${this.h.name}: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network`);
  }

  /**
   * bridge driver CreateNetwork: the bridge device (setupDevice: a random 02:42 MAC), its
   * gateway address (setupBridgeIPv4), then setupIPTables, the isolation rules and, as the
   * network controller does after every network, the DOCKER-USER jump kept on top.
   */
  private createBridgeNetwork(name: string, subnet: Cidr, gateway: Ipv4, bridgeName: string | undefined, isDefault: boolean, createdUs: number): void {
    const id = this.randomId();
    const brName = bridgeName ?? `br-${id.slice(0, 12)}`;
    const net: DockerNetwork = { id, name, driver: 'bridge', bridge: brName, subnet, gateway, isDefault, createdUs };
    this.networks.push(net);
    const br: BridgeDevice = this.world.addBridge(this.ns, brName, 1500);
    br.mac = dockerMac(this.world);
    br.fdb.push({ mac: br.mac, port: br.name, permanent: true, local: true });
    this.ns.addAddress(br, { addr: gateway, prefixLen: parseCidr(subnet).len });
    this.nextIp.set(net, parseCidr(subnet).net + 1);
    this.setupIPTables(brName, subnet);
    this.setINC(brName);
    this.ensureJumpRule('FORWARD', 'DOCKER-ISOLATION-STAGE-1');
    this.arrangeUserFilterRule();
  }

  /**
   * setupIPTablesInternal + ProgramChain for one bridge, in libnetwork's order: MASQUERADE what
   * leaves the subnet by another device; with the userland proxy, no DNAT for traffic from the
   * bridge itself (docker-proxy handles it); inter-container communication (icc) and outgoing
   * traffic accepted; then the nat jumps from PREROUTING/OUTPUT to DOCKER for local addresses
   * and, in filter FORWARD, the jump to DOCKER and the RELATED,ESTABLISHED accept for the bridge.
   */
  private setupIPTables(br: string, subnet: Cidr): void {
    const hairpin = !this.h.userlandProxy;
    const insert = (table: 'nat' | 'filter', chain: string, ...rule: string[]) => {
      if (!this.exists(table, chain, ...rule)) this.ipt('-t', table, '-I', chain, ...rule);
    };
    insert('nat', 'POSTROUTING', '-s', subnet, '!', '-o', br, '-j', 'MASQUERADE');
    if (!hairpin) insert('nat', 'DOCKER', '-i', br, '-j', 'RETURN');
    else insert('nat', 'POSTROUTING', '-m', 'addrtype', '--src-type', 'LOCAL', '-o', br, '-j', 'MASQUERADE');
    // setIcc with icc=true
    insert('filter', 'FORWARD', '-i', br, '-o', br, '-j', 'ACCEPT');
    insert('filter', 'FORWARD', '-i', br, '!', '-o', br, '-j', 'ACCEPT');
    // ProgramChain(natChain)
    const output = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DOCKER', ...(hairpin ? [] : ['!', '--dst', '127.0.0.0/8'])];
    if (!this.exists('nat', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DOCKER')) this.ipt('-t', 'nat', '-A', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DOCKER');
    if (!this.exists('nat', 'OUTPUT', ...output)) this.ipt('-t', 'nat', '-A', 'OUTPUT', ...output);
    // ProgramChain(filterChain)
    insert('filter', 'FORWARD', '-o', br, '-j', 'DOCKER');
    insert('filter', 'FORWARD', '-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
  }

  /** setINC: stage 1 sends what leaves this bridge for another device to stage 2; stage 2 drops it if it enters a bridge. */
  private setINC(br: string): void {
    this.ipt('-I', 'DOCKER-ISOLATION-STAGE-1', '-i', br, '!', '-o', br, '-j', 'DOCKER-ISOLATION-STAGE-2');
    this.ipt('-I', 'DOCKER-ISOLATION-STAGE-2', '-o', br, '-j', 'DROP');
  }

  /** iptables.EnsureJumpRule: delete the jump if present, insert it at the top. */
  private ensureJumpRule(from: string, to: string): void {
    if (this.exists('filter', from, '-j', to)) this.ipt('-D', from, '-j', to);
    this.ipt('-I', from, '-j', to);
  }

  /** libnetwork firewall_linux.go arrangeUserFilterRule: DOCKER-USER, a RETURN in it, and the jump first in FORWARD. */
  private arrangeUserFilterRule(): void {
    if (!this.ns.nf.filter.has('DOCKER-USER')) this.ipt('-N', 'DOCKER-USER');
    if (!this.exists('filter', 'DOCKER-USER', '-j', 'RETURN')) this.ipt('-A', 'DOCKER-USER', '-j', 'RETURN');
    this.ensureJumpRule('FORWARD', 'DOCKER-USER');
  }

  // ------------------------------------------------------------ containers

  /** IPAM: addresses given with --ip are taken before the sequential allocation hands any out. */
  private readonly reserved = new Set<string>();

  private reserveFixedIps(mine: readonly ContainerSpec[]): void {
    for (const c of mine) if (c.ip !== undefined) this.reserved.add(`${c.network}/${c.ip}`);
  }

  /** The default IPAM driver: the lowest free address after the gateway (.2, .3, …). */
  private allocateIp(net: DockerNetwork, c: ContainerSpec): Ipv4 {
    if (c.ip !== undefined) return c.ip;
    const p = parseCidr(net.subnet!);
    const last = (p.net | ~p.mask) >>> 0;
    for (let n = this.nextIp.get(net)!; n < last; n++) {
      const ip = intToIp(n);
      if (ip === net.gateway || this.reserved.has(`${net.name}/${ip}`)) continue;
      this.nextIp.set(net, n + 1);
      return ip;
    }
    throw new Error(`dockerd on ${this.h.name}: no available IPv4 addresses on network ${net.name} (${net.subnet})`);
  }

  private network(name: string): DockerNetwork {
    return this.networks.find((n) => n.name === name)!;
  }

  /** `docker run` for a container that gets a network stack of its own (or the host's). */
  private run(c: ContainerSpec, id: string, nowUs: number, nsName: string): void {
    const sandboxId = this.randomId();
    const createdUs = nowUs - c.startedAgoSec * 1e6;
    let ns: NetNs;
    let endpoint: DockerEndpoint;
    let ports: PortBinding[] = [];
    if (c.mode === 'host') {
      // no namespace of its own: the container's processes are the host's
      ns = this.ns;
      endpoint = { id: this.randomId(), network: this.network('host') };
    } else {
      ns = this.world.createNs(this.h.name, nsName, 'container');
      if (c.mode === 'none') endpoint = { id: this.randomId(), network: this.network('none') };
      else {
        endpoint = this.attach(ns, this.network(c.network!), c);
        ports = this.publish(endpoint, c);
      }
    }
    for (const l of c.listen) ns.listeners.push({ proto: l.protocol === 'UDP' ? 'udp' : 'tcp', port: l.port, process: l.process });
    this.containers.push({
      id,
      spec: c,
      ns,
      endpoint,
      sandboxId,
      sandboxKey: c.mode === 'host' ? '/var/run/docker/netns/default' : `/var/run/docker/netns/${sandboxId.slice(0, 12)}`,
      ports,
      createdUs,
    });
  }

  /** `--network container:<name>`: the very namespace of that container; no device is created. */
  private join(c: ContainerSpec, id: string, nowUs: number): void {
    const joined = this.containers.find((x) => x.spec.name === c.joins)!;
    const ns = joined.ns;
    for (const l of c.listen) ns.listeners.push({ proto: l.protocol === 'UDP' ? 'udp' : 'tcp', port: l.port, process: l.process });
    this.containers.push({ id, spec: c, ns, joined, sandboxId: '', sandboxKey: '', ports: [], createdUs: nowUs - c.startedAgoSec * 1e6 });
  }

  /**
   * bridge driver CreateEndpoint + Join: a veth pair (`veth` + 7 hex on the host, enslaved to
   * the bridge; the other end moved into the sandbox and renamed eth0), the address with the
   * MAC derived from it (netutils.GenerateMACFromIP: 02:42 + the IPv4 bytes), and the default
   * route via the bridge's address.
   */
  private attach(ns: NetNs, net: DockerNetwork, c: ContainerSpec): DockerEndpoint {
    const ip = this.allocateIp(net, c);
    const len = parseCidr(net.subnet!).len;
    const hostVeth = this.vethName();
    const [hostEnd, ctrEnd] = this.world.addVethPair(this.ns, hostVeth, ns, 'eth0', 1500);
    ctrEnd.mac = macFromIp(ip);
    const br = this.ns.dev(net.bridge!) as BridgeDevice;
    // hairpin mode on the port only without the userland proxy (bridge driver: hairpin = !EnableUserlandProxy)
    this.world.enslave(br, hostEnd, !this.h.userlandProxy);
    ns.addAddress(ctrEnd, { addr: ip, prefixLen: len });
    ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: net.gateway!, dev: 'eth0', proto: 'boot', scope: 'global', type: 'unicast' });
    return { id: this.randomId(), network: net, ip, prefixLen: len, gateway: net.gateway!, mac: ctrEnd.mac, hostVeth };
  }

  /** netutils.GenerateIfaceName(nlh, "veth", 7) */
  private vethName(): string {
    for (;;) {
      const name = `veth${this.world.rng.nextU32().toString(16).padStart(8, '0').slice(0, 7)}`;
      if (!this.ns.dev(name)) return name;
    }
  }

  /**
   * Port mappings (iptables ChainInfo.Forward): DNAT in nat DOCKER for the host port, an ACCEPT
   * in filter DOCKER for the container port, the hairpin MASQUERADE in POSTROUTING; with the
   * userland proxy, docker-proxy also listens on the host port (for traffic the DNAT never sees:
   * from the host to 127.0.0.1, from containers on the same bridge).
   */
  private publish(ep: DockerEndpoint, c: ContainerSpec): PortBinding[] {
    const br = ep.network.bridge!;
    const hairpin = !this.h.userlandProxy;
    return c.publish.map((p) => {
      const hostPort = p.hostPort ?? this.nextEphemeral++;
      const b: PortBinding = { hostIp: p.hostIp, hostPort, containerPort: p.containerPort, protocol: p.protocol };
      // libnetwork passes `-d 0/0` for the unspecified address: a /0 match that iptables stores as no match at all
      const daddr = p.hostIp === '0.0.0.0' ? [] : ['-d', p.hostIp];
      this.ipt('-t', 'nat', '-A', 'DOCKER', '-p', p.protocol, ...daddr, '--dport', String(hostPort), '-j', 'DNAT', '--to-destination', `${ep.ip}:${p.containerPort}`, ...(hairpin ? [] : ['!', '-i', br]));
      this.ipt('-t', 'filter', '-A', 'DOCKER', '!', '-i', br, '-o', br, '-p', p.protocol, '-d', ep.ip!, '--dport', String(p.containerPort), '-j', 'ACCEPT');
      this.ipt('-t', 'nat', '-A', 'POSTROUTING', '-p', p.protocol, '-s', ep.ip!, '-d', ep.ip!, '--dport', String(p.containerPort), '-j', 'MASQUERADE');
      if (this.h.userlandProxy) this.ns.listeners.push({ proto: p.protocol, port: hostPort, process: 'docker-proxy' });
      return b;
    });
  }
}

/** The name of each namespace a container owns: its pod's, else the owner and those joining it, `web+sidecar`. */
function namespaceNames(mine: readonly ContainerSpec[], byName: ReadonlyMap<string, ContainerSpec>): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of mine) {
    if (c.mode === 'container' || c.mode === 'host') continue;
    const joiners = mine.filter((x) => x !== c && x.mode === 'container' && namespaceOwner(x, byName) === c).map((x) => x.name);
    out.set(c.name, c.pod ?? [c.name, ...joiners].join('+'));
  }
  return out;
}

/** netutils.GenerateRandomMAC: 02:42 then four random bytes (docker0's and br-*'s address). */
function dockerMac(world: World): Mac {
  const r = world.rng.nextU32();
  return `02:42:${[24, 16, 8, 0].map((s) => ((r >>> s) & 0xff).toString(16).padStart(2, '0')).join(':')}` as Mac;
}

/** netutils.GenerateMACFromIP: 02:42 followed by the IPv4 address's four bytes. */
function macFromIp(ip: Ipv4): Mac {
  const n = ipToInt(ip);
  return `02:42:${[24, 16, 8, 0].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0')).join(':')}` as Mac;
}
