import { cidrContains, intToIp, ipToInt, isIpv4, parseCidr, prefixMask, type Cidr, type Ipv4 } from '../net/addr.ts';
import type { HostSpec, ListenSpec, NetworkSpec, NodeSpec, PodSpec } from './spec.ts';
import { Reader, SpecError, type SourceLines } from './reader.ts';

/**
 * The Docker side of a cluster file (seed §2): kube-packet-lab.dev/v1 `DockerHost`,
 * `DockerNetwork` and `Container` objects in the same `kind: List` as the Kubernetes objects.
 * They describe what `docker run` / `docker network create` asked the daemon for; the daemon
 * (docker.ts) turns them into devices, routes and iptables rules. The checks here are the ones
 * dockerd itself makes, with its own wording quoted where it has one.
 */
export interface DockerSpec {
  readonly hosts: readonly DockerHostSpec[];
  /** user-defined bridge networks (`docker network create`), in creation order */
  readonly networks: readonly DockerNetworkSpec[];
  /** containers in start order (the file's order) */
  readonly containers: readonly ContainerSpec[];
}

export interface DockerHostSpec {
  readonly name: string;
  /** the LAN (a `Network` object) the NIC is plugged into */
  readonly network: string;
  readonly nic: string;
  readonly address: Ipv4;
  readonly prefixLen: number;
  readonly gateway?: Ipv4;
  /** daemon.json `bip`: docker0's address and prefix (default 172.17.0.1/16) */
  readonly bip: { readonly address: Ipv4; readonly prefixLen: number };
  /** daemon.json `userland-proxy` (default true): docker-proxy listens on published ports */
  readonly userlandProxy: boolean;
  /** net.ipv4.ip_forward before dockerd started; if 0, dockerd sets it and FORWARD's policy to DROP */
  readonly ipForward: boolean;
  /** the host's own daemons (default: sshd on 22) */
  readonly listen: readonly ListenSpec[];
}

export interface DockerNetworkSpec {
  readonly name: string;
  readonly host: string;
  /** `--subnet`; absent: the daemon takes the next free default pool */
  readonly subnet?: Cidr;
  /** `--gateway`; absent: the subnet's first address */
  readonly gateway?: Ipv4;
  /** `-o com.docker.network.bridge.name=…`; absent: `br-` + 12 hex of the network ID */
  readonly bridge?: string;
}

export type ContainerNetworkMode = 'bridge' | 'host' | 'none' | 'container';

/** `docker run -p [hostIp:][hostPort]:containerPort[/proto]` */
export interface PublishSpec {
  readonly hostIp: Ipv4;
  /** absent: the daemon allocates one from the ephemeral range */
  readonly hostPort?: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface ContainerSpec {
  readonly name: string;
  readonly host: string;
  readonly image: string;
  /** the image's entrypoint + cmd as `docker ps` shows it */
  readonly command: string;
  /** what `--network` said: bridge | host | none | container:<name> | <user network> */
  readonly networkMode: string;
  readonly mode: ContainerNetworkMode;
  /** for mode bridge: `bridge` (docker0) or a user network's name */
  readonly network?: string;
  /** for mode container: the container whose namespace this one joins */
  readonly joins?: string;
  /** `--ip` (user-defined networks only) */
  readonly ip?: Ipv4;
  readonly publish: readonly PublishSpec[];
  readonly listen: readonly ListenSpec[];
  /** the Kubernetes pod this container belongs to (kubelet's io.kubernetes.pod.name label) */
  readonly pod?: string;
  /** how long ago it was created and started, seconds (docker ps CREATED / STATUS) */
  readonly startedAgoSec: number;
}

/** The default bridge network's name in `docker network ls`, and docker0's defaults. */
export const DEFAULT_BRIDGE = 'bridge';
const PREDEFINED = ['bridge', 'host', 'none'];

/** One Docker object of the file with where it came from (spec.ts's objName). */
export interface DockerItem {
  readonly kind: 'DockerHost' | 'DockerNetwork' | 'Container';
  readonly label: string;
  readonly obj: Record<string, unknown>;
  readonly src?: SourceLines;
}

/** What the rest of the file already defines, for the cross checks. */
export interface DockerContext {
  readonly networks: readonly NetworkSpec[];
  readonly hosts: readonly HostSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly PodSpec[];
}

export type DockerParseResult = { readonly ok: true; readonly value: DockerSpec } | { readonly ok: false; readonly where: string; readonly message: string; readonly line?: number };

/**
 * Parses and checks the Docker objects of a cluster file. Errors name the object and field and,
 * where dockerd refuses the same thing, quote dockerd's message.
 */
export function parseDockerObjects(items: readonly DockerItem[], ctx: DockerContext): DockerParseResult {
  try {
    return { ok: true, value: build(items, ctx) };
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, where: e.where, message: e.message, ...(e.at?.line !== undefined ? { line: e.at.line } : {}) };
    throw e;
  }
}

function build(items: readonly DockerItem[], ctx: DockerContext): DockerSpec {
  const hosts: DockerHostSpec[] = [];
  const networks: DockerNetworkSpec[] = [];
  const containers: ContainerSpec[] = [];
  const readers = new Map<object, Reader>();
  for (const it of items) {
    const r = new Reader(it.label, it.obj, it.src);
    readers.set(it.obj, r);
    if (it.kind === 'DockerHost') hosts.push(dockerHost(r, ctx));
  }
  const hostOf = (r: Reader): string => {
    const named = r.optStr('spec.host');
    if (named !== undefined) {
      if (!hosts.some((h) => h.name === named)) r.fail('spec.host', `no DockerHost named "${named}"`);
      return named;
    }
    if (hosts.length !== 1) r.fail('spec.host', hosts.length === 0 ? 'no DockerHost in the file to run on' : `is required when the file has several DockerHosts (${hosts.map((h) => h.name).join(', ')})`);
    return hosts[0]!.name;
  };
  for (const it of items) if (it.kind === 'DockerNetwork') networks.push(dockerNetwork(readers.get(it.obj)!, hostOf(readers.get(it.obj)!), hosts, networks));
  for (const it of items) if (it.kind === 'Container') containers.push(container(readers.get(it.obj)!, hostOf(readers.get(it.obj)!), networks));
  checkContainers(items, readers, hosts, networks, containers, ctx);
  return { hosts, networks, containers };
}

function dockerHost(r: Reader, ctx: DockerContext): DockerHostSpec {
  const name = r.str('metadata.name');
  if (ctx.hosts.some((h) => h.name === name) || ctx.nodes.some((n) => n.name === name)) r.fail('metadata.name', `"${name}" is already the name of a Host or Node`);
  const network = r.str('spec.network');
  const net = ctx.networks.find((n) => n.name === network);
  if (!net) r.fail('spec.network', `no Network named "${network}"`);
  const { address, prefixLen } = r.addrLen('spec.address');
  if (!cidrContains(net.cidr, address)) r.fail('spec.address', `${address} is outside Network ${network}'s ${net.cidr}`);
  const owner = ctx.nodes.find((n) => n.internalIP === address)?.name ?? ctx.hosts.find((h) => h.interfaces.some((i) => i.address === address))?.name;
  if (owner) r.fail('spec.address', `IP ${address} is already used by ${owner}`);
  const bip = r.has('spec.bip') ? r.addrLen('spec.bip') : { address: '172.17.0.1' as Ipv4, prefixLen: 16 };
  if (prefixesOverlap(`${bip.address}/${bip.prefixLen}`, net.cidr)) r.fail('spec.bip', `${bip.address}/${bip.prefixLen} overlaps the host's LAN ${net.cidr}`);
  const listen = r.items('spec.listen').map((_, k) => listenAt(r, `spec.listen.${k}`, 'server'));
  return {
    name,
    network,
    nic: r.str('spec.nic', 'enp0s1'),
    address,
    prefixLen,
    gateway: r.optIp('spec.gateway') ?? net.gateway,
    bip,
    userlandProxy: r.bool('spec.userlandProxy', true),
    ipForward: r.bool('spec.ipForward', false),
    listen: listen.length > 0 ? listen : [{ protocol: 'TCP', port: 22, process: 'sshd' }],
  };
}

function dockerNetwork(r: Reader, host: string, hosts: readonly DockerHostSpec[], sofar: readonly DockerNetworkSpec[]): DockerNetworkSpec {
  const name = r.str('metadata.name');
  // libnetwork NetworkNameError: "network with name %s already exists"
  if (PREDEFINED.includes(name) || sofar.some((n) => n.host === host && n.name === name)) r.fail('metadata.name', `network with name ${name} already exists`);
  const h = hosts.find((x) => x.name === host)!;
  const subnet = r.has('spec.subnet') ? r.subnet('spec.subnet') : undefined;
  if (subnet) {
    const taken = [`${h.bip.address}/${h.bip.prefixLen}`, `${h.address}/${h.prefixLen}`, ...sofar.filter((n) => n.host === host && n.subnet).map((n) => n.subnet!)];
    // libnetwork ipam: "Pool overlaps with other one on this address space"
    if (taken.some((t) => prefixesOverlap(t, subnet))) r.fail('spec.subnet', `${subnet}: Pool overlaps with other one on this address space`);
  }
  const gateway = r.optIp('spec.gateway');
  if (gateway !== undefined) {
    if (!subnet) r.fail('spec.gateway', 'needs spec.subnet (docker: "Gateway … without a subnet")');
    if (!cidrContains(subnet, gateway)) r.fail('spec.gateway', `${gateway} is outside the subnet ${subnet}`);
  }
  const bridge = r.optStr('spec.bridge');
  if (bridge !== undefined && (bridge.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(bridge))) r.fail('spec.bridge', `"${bridge}" is not a valid interface name (at most 15 characters)`);
  return { name, host, subnet, gateway, bridge };
}

function container(r: Reader, host: string, networks: readonly DockerNetworkSpec[]): ContainerSpec {
  const name = r.str('metadata.name');
  // daemon/names.go validContainerNamePattern
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) r.fail('metadata.name', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const image = r.str('spec.image');
  const networkMode = r.str('spec.network', DEFAULT_BRIDGE);
  let mode: ContainerNetworkMode;
  let network: string | undefined;
  let joins: string | undefined;
  if (networkMode === 'host' || networkMode === 'none') mode = networkMode;
  else if (networkMode.startsWith('container:')) {
    mode = 'container';
    joins = networkMode.slice('container:'.length);
    if (!joins) r.fail('spec.network', '"container:" needs a container name (--network container:<name|id>)');
    // daemon getNetworkedContainer: "cannot join own network"
    if (joins === name) r.fail('spec.network', 'cannot join own network');
  } else if (networkMode === DEFAULT_BRIDGE || networks.some((n) => n.host === host && n.name === networkMode)) {
    mode = 'bridge';
    network = networkMode;
  } else r.fail('spec.network', `network ${networkMode} not found (have: bridge, host, none, container:<name>${networks.filter((n) => n.host === host).map((n) => `, ${n.name}`).join('')})`);

  const ip = r.optIp('spec.ip');
  if (ip !== undefined) {
    // daemon/container_operations.go: --ip only on user-defined networks
    if (mode !== 'bridge' || network === DEFAULT_BRIDGE) r.fail('spec.ip', 'user specified IP address is supported on user defined networks only');
  }
  const publish = r.items('spec.publish').map((_, k) => publishAt(r, `spec.publish.${k}`));
  if (publish.length > 0 && mode === 'container') r.fail('spec.publish', 'conflicting options: port publishing and the container type network mode');
  // dockerd only warns ("Published ports are discarded when using host network mode"); a file should not say what will not happen
  if (publish.length > 0 && mode === 'host') r.fail('spec.publish', 'published ports are discarded when using host network mode: the container already listens on the host\'s own ports');
  if (publish.length > 0 && mode === 'none') r.fail('spec.publish', 'a container with --network none has no interface to publish ports from');
  const process = image.split('/').at(-1)!.split(':')[0]!.split('@')[0]!;
  return {
    name,
    host,
    image,
    command: r.str('spec.command', defaultCommand(image)),
    networkMode,
    mode,
    network,
    joins,
    ip,
    publish,
    listen: r.items('spec.listen').map((_, k) => listenAt(r, `spec.listen.${k}`, process)),
    pod: r.optStr('spec.pod'),
    startedAgoSec: duration(r, 'spec.startedAgo', 7200),
  };
}

/** The checks across containers: names, joins, addresses, ports. */
function checkContainers(
  items: readonly DockerItem[],
  readers: Map<object, Reader>,
  hosts: readonly DockerHostSpec[],
  networks: readonly DockerNetworkSpec[],
  containers: readonly ContainerSpec[],
  ctx: DockerContext,
): void {
  const readerOf = new Map<string, Reader>();
  const citems = items.filter((it) => it.kind === 'Container');
  containers.forEach((c, i) => {
    const r = readers.get(citems[i]!.obj)!;
    if (readerOf.has(c.name)) r.fail('metadata.name', `Conflict. The container name "/${c.name}" is already in use`);
    const clash = ctx.pods.find((p) => p.name === c.name)?.name ?? ctx.hosts.find((h) => h.name === c.name)?.name ?? ctx.nodes.find((n) => n.name === c.name)?.name ?? hosts.find((h) => h.name === c.name)?.name;
    if (clash) r.fail('metadata.name', `"${c.name}" is already the name of a pod, host or node (flows and shells pick containers by name)`);
    readerOf.set(c.name, r);
  });
  const byName = new Map(containers.map((c) => [c.name, c]));
  for (const c of containers) {
    const r = readerOf.get(c.name)!;
    if (c.joins !== undefined) {
      const target = byName.get(c.joins);
      // the daemon's own words when the container does not exist
      if (!target || target.host !== c.host) r.fail('spec.network', `No such container: ${c.joins} (no Container "${c.joins}" on ${c.host} to join with container:${c.joins})`);
      const seen = new Set([c.name]);
      for (let t: ContainerSpec | undefined = target; t?.joins !== undefined; t = byName.get(t.joins)) {
        if (seen.has(t.name)) r.fail('spec.network', `container:${c.joins} leads round in a circle (${[...seen, t.name].join(' → ')}): no container owns the namespace`);
        seen.add(t.name);
      }
    }
    if (c.pod !== undefined && c.joins !== undefined) {
      const owner = namespaceOwner(c, byName);
      if (owner.pod !== c.pod) r.fail('spec.pod', `is "${c.pod}" but the namespace it joins belongs to ${owner.pod === undefined ? `container ${owner.name}, which is in no pod` : `pod ${owner.pod}`}`);
    }
  }
  // namespace names (docker.ts names a namespace after its pod, else after its owner): one per host
  const nsNames = new Map<string, string>();
  for (const c of containers) {
    if (c.mode === 'host' || c.joins !== undefined) continue;
    const r = readerOf.get(c.name)!;
    const nsName = c.pod ?? c.name;
    const key = `${c.host}/${nsName}`;
    if (nsName === 'root') r.fail(c.pod !== undefined ? 'spec.pod' : 'metadata.name', '"root" names the host\'s own namespace here; choose another name');
    const prev = nsNames.get(key);
    if (prev) r.fail(c.pod !== undefined ? 'spec.pod' : 'metadata.name', `the namespace name "${nsName}" is already ${prev}'s (a pod's namespace is named after the pod)`);
    nsNames.set(key, c.pod !== undefined ? `pod ${c.pod}` : `container ${c.name}`);
  }
  // addresses the file fixes with --ip
  const fixed = new Map<string, string>();
  for (const c of containers) {
    if (c.ip === undefined) continue;
    const r: Reader = readerOf.get(c.name)!;
    const n = networks.find((x) => x.host === c.host && x.name === c.network)!;
    if (!n.subnet) r.fail('spec.ip', `network ${n.name} has no --subnet; docker: "user specified IP address is supported only when connecting to networks with user configured subnets"`);
    const p = parseCidr(n.subnet);
    // libnetwork: "Invalid address …: It does not belong to any of this network's subnets"
    if (!cidrContains(n.subnet, c.ip)) r.fail('spec.ip', `Invalid address ${c.ip}: It does not belong to any of this network's subnets (${n.name} is ${n.subnet})`);
    const gw = n.gateway ?? intToIp(p.net + 1);
    const n32 = ipToInt(c.ip);
    if (n32 === p.net || n32 === (p.net | ~p.mask) >>> 0) r.fail('spec.ip', `${c.ip} is the network or broadcast address of ${n.subnet}`);
    const key = `${c.host}/${n.name}/${c.ip}`;
    if (c.ip === gw) r.fail('spec.ip', `Address already in use: ${c.ip} is network ${n.name}'s gateway`);
    const prev = fixed.get(key);
    if (prev) r.fail('spec.ip', `Address already in use: ${c.ip} is already container ${prev}'s`);
    fixed.set(key, c.name);
  }
  // host ports: docker-proxy binds them; a host-mode process binds its own
  for (const h of hosts) {
    const bound = new Map<string, string>();
    for (const l of h.listen) bound.set(`${l.protocol.toLowerCase()}/${l.port}`, `the host's ${l.process}`);
    for (const c of containers.filter((x) => x.host === h.name)) {
      const r = readerOf.get(c.name)!;
      if (c.mode === 'host') {
        c.listen.forEach((l, k) => {
          const key = `${l.protocol.toLowerCase()}/${l.port}`;
          const prev = bound.get(key);
          if (prev) r.fail(`spec.listen.${k}`, `listen ${key.replace('/', ' 0.0.0.0:')}: bind: address already in use (${prev} has it; host mode shares the host's ports)`);
          bound.set(key, `container ${c.name}`);
        });
      }
      c.publish.forEach((p, k) => {
        if (p.hostPort === undefined) return;
        const key = `${p.protocol}/${p.hostPort}`;
        const prev = bound.get(key);
        // portallocator: "Bind for 0.0.0.0:8080 failed: port is already allocated"
        if (prev) r.fail(`spec.publish.${k}`, `Bind for ${p.hostIp}:${p.hostPort} failed: port is already allocated (${prev} has it)`);
        bound.set(key, `container ${c.name}`);
      });
    }
  }
}

/** The container whose namespace `c` ends up in, following container:<name> joins. */
export function namespaceOwner(c: ContainerSpec, byName: ReadonlyMap<string, ContainerSpec>): ContainerSpec {
  let cur = c;
  for (let hops = 0; cur.joins !== undefined && hops < 64; hops++) cur = byName.get(cur.joins) ?? cur;
  return cur;
}

/** `-p`: `[hostIp:][hostPort]:containerPort[/proto]` or `containerPort[/proto]` (nat.ParsePortSpec). */
function publishAt(r: Reader, path: string): PublishSpec {
  const text = r.str(path);
  function bad(why: string): never {
    return r.fail(path, `"${text}" is not a -p port mapping (${why}); use [hostIp:]hostPort:containerPort[/tcp|udp]`);
  }
  const [spec, proto = 'tcp', extra] = text.split('/');
  if (extra !== undefined || (proto !== 'tcp' && proto !== 'udp')) bad(`protocol "${proto}"`);
  const parts = spec!.split(':');
  if (parts.length > 3) bad('too many colons');
  const containerPart = parts.at(-1)!;
  const hostPart = parts.length >= 2 ? parts.at(-2)! : '';
  const ipPart = parts.length === 3 ? parts[0]! : '0.0.0.0';
  if (!isIpv4(ipPart)) bad(`"${ipPart}" is not an IPv4 address`);
  const port = (s: string, what: string): number => {
    if (/^\d+-\d+$/.test(s)) bad('port ranges are not modelled');
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= 1 && n <= 65535)) bad(`invalid ${what} port "${s}"`);
    return n;
  };
  return {
    hostIp: ipPart,
    hostPort: hostPart === '' ? undefined : port(hostPart, 'host'),
    containerPort: port(containerPart, 'container'),
    protocol: proto as 'tcp' | 'udp',
  };
}

function listenAt(r: Reader, path: string, process: string): ListenSpec {
  const port = r.num(`${path}.port`);
  if (port < 1 || port > 65535) r.fail(`${path}.port`, `${port} is not a port (1-65535)`);
  return { protocol: r.oneOf(`${path}.protocol`, ['TCP', 'UDP'] as const, 'TCP'), port, process: r.str(`${path}.process`, process) };
}

/** `90s`, `45m`, `2h`, `3d`, `2w` → seconds. */
function duration(r: Reader, path: string, dflt: number): number {
  if (!r.has(path)) return dflt;
  const v = r.str(path);
  const m = /^(\d+)(s|m|h|d|w)$/.exec(v);
  if (!m) r.fail(path, `"${v}" is not a duration like 90s, 45m, 2h, 3d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
}

/** What `docker ps` shows as COMMAND for well-known images (ENTRYPOINT + CMD from their Dockerfiles). */
function defaultCommand(image: string): string {
  const base = image.split('/').at(-1)!.split(':')[0]!;
  switch (base) {
    case 'nginx':
      return "/docker-entrypoint.sh nginx -g 'daemon off;'";
    case 'postgres':
      return 'docker-entrypoint.sh postgres';
    case 'redis':
      return 'docker-entrypoint.sh redis-server';
    case 'pause':
      return '/pause';
    case 'busybox':
    case 'alpine':
      return 'sh';
    case 'fluent-bit':
      return '/fluent-bit/bin/fluent-bit -c /fluent-bit/etc/fluent-bit.conf';
    default:
      return base;
  }
}

/** Whether two prefixes share any address (libnetwork ipam's pool overlap check). */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  return ((pa.net ^ pb.net) & prefixMask(Math.min(pa.len, pb.len))) === 0;
}
