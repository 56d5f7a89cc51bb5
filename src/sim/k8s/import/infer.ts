import { parse as parseYaml } from 'yaml';
import { intToIp, ipToInt, parseCidr, prefixContains, prefixToString, type Cidr, type Ipv4 } from '../../net/addr.ts';
import type { FlannelBackend, IpvsScheduler, Problem, ProxyMode } from '../../api-types.ts';
import { isObj, Reader, SpecError, specError } from '../reader.ts';
import type { FlannelConfig, HostSpec, IPPoolSpec, KubeProxyConfig, NetworkSpec, NodeSpec, ParseOptions, ServiceSpec } from '../spec.ts';

/**
 * What `kubectl get` does not print but a packet needs, inferred from what it does print, each
 * inference said in one note. The LAN comes from the nodes' InternalIPs (nodes that share a /24
 * share a segment; `--lan` overrides), with a gateway and an outside client on free addresses;
 * the pod network, flannel's backend and kube-proxy's mode come from the ConfigMaps, else the
 * node annotations and the components' command lines, else the distribution's defaults.
 */

export interface ConfigMapRead {
  readonly name: string;
  readonly namespace: string;
  readonly reader: Reader;
  readonly data: Readonly<Record<string, string>>;
}

/** A container's command + args, from a Pod (with its node) or a DaemonSet's template. */
export interface CommandLine {
  readonly owner: string;
  readonly words: readonly string[];
  readonly nodeName?: string;
}

export interface InferInput {
  readonly networks: NetworkSpec[];
  readonly hosts: HostSpec[];
  readonly nodes: NodeSpec[];
  readonly services: readonly ServiceSpec[];
  readonly configMaps: ConfigMapRead[];
  readonly commandLines: CommandLine[];
  /** each node's annotations and labels, by node name */
  readonly nodeMeta: Map<string, { readonly annotations: Readonly<Record<string, string>>; readonly labels: Readonly<Record<string, string>> }>;
  /** Calico's IPPools: a file with one runs Calico, not flannel */
  readonly ipPools: IPPoolSpec[];
  /** the IPv4 ranges of the ServiceCIDR objects (networking.k8s.io/v1), by object */
  readonly serviceCIDRs: { readonly name: string; readonly cidr: Cidr }[];
}

export interface Inferred {
  readonly networks: NetworkSpec[];
  readonly hosts: HostSpec[];
  readonly nodes: NodeSpec[];
  readonly flannel: FlannelConfig;
  readonly kubeProxy: KubeProxyConfig;
  readonly serviceCIDR?: Cidr;
  readonly notes: string[];
}

type Distro = 'k3s' | 'kubeadm' | 'unknown';

/** The defaults each distribution starts its pod and service networks with. */
const DEFAULTS: Readonly<Record<Distro, { pods: Cidr; services: Cidr; label: string }>> = {
  // k3s server: --cluster-cidr 10.42.0.0/16, --service-cidr 10.43.0.0/16
  k3s: { pods: '10.42.0.0/16' as Cidr, services: '10.43.0.0/16' as Cidr, label: "k3s's default" },
  // kube-flannel.yml's net-conf.json Network; kubeadm's --service-cidr default
  kubeadm: { pods: '10.244.0.0/16' as Cidr, services: '10.96.0.0/12' as Cidr, label: "kubeadm + kube-flannel.yml's default" },
  unknown: { pods: '10.244.0.0/16' as Cidr, services: '10.96.0.0/12' as Cidr, label: "kube-flannel.yml's and kubeadm's default" },
};

/** The NIC name when nothing says: the seed's VMs call it enp0s1. */
export const DEFAULT_NIC = 'enp0s1';

const SCHEDULERS: readonly IpvsScheduler[] = ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'];

export function inferCluster(input: InferInput, opts: ParseOptions): { ok: true; value: Inferred } | { ok: false; problems: Problem[] } {
  try {
    return { ok: true, value: infer(input, opts) };
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    return { ok: false, problems: [{ object: e.at?.object ?? e.where, ...(e.at?.field !== undefined ? { field: e.at.field } : {}), message: e.message, ...(e.at?.line !== undefined ? { line: e.at.line } : {}) }] };
  }
}

function infer(input: InferInput, opts: ParseOptions): Inferred {
  const notes: string[] = [];
  const distro = distroOf(input);
  const plainDump = input.networks.length === 0 && input.hosts.length === 0;
  const args = argsOf(input);

  // ---- the pod network and flannel's backend -------------------------------------------
  const flannelCm = input.configMaps.find((c) => c.name === 'kube-flannel-cfg');
  const kubeadmCm = input.configMaps.find((c) => c.name === 'kubeadm-config' && c.namespace === 'kube-system');
  const proxyCm = input.configMaps.find((c) => c.name === 'kube-proxy' && c.namespace === 'kube-system');
  const netConf = flannelCm ? readNetConf(flannelCm) : undefined;
  const kubeadm = kubeadmCm ? readKubeadm(kubeadmCm) : {};
  const proxyConf = proxyCm ? readProxyConf(proxyCm) : undefined;
  const cmName = (c: ConfigMapRead) => `ConfigMap ${c.namespace}/${c.name}`;

  let network: Cidr;
  const podCidrs = input.nodes.map((n) => n.podCIDR);
  if (netConf) {
    network = netConf.network;
    if (plainDump) notes.push(`pod network ${network}: from ${cmName(flannelCm!)} (net-conf.json Network)`);
  } else if (input.ipPools.length > 0) {
    network = input.ipPools[0]!.cidr;
    notes.push(`pod network ${network}: Calico's IPPool ${input.ipPools[0]!.name}; no kube-flannel-cfg in the file`);
  } else if (kubeadm.podSubnet) {
    network = kubeadm.podSubnet;
    notes.push(`pod network ${network}: from ${cmName(kubeadmCm!)} (networking.podSubnet); no kube-flannel-cfg in the file`);
  } else if (args.clusterCidr) {
    network = args.clusterCidr.value;
    notes.push(`pod network ${network}: from ${args.clusterCidr.from}; no kube-flannel-cfg in the file`);
  } else if (proxyConf?.clusterCIDR) {
    network = proxyConf.clusterCIDR;
    notes.push(`pod network ${network}: from ${cmName(proxyCm!)} (clusterCIDR); no kube-flannel-cfg in the file`);
  } else {
    const dflt = DEFAULTS[distro].pods;
    if (podCidrs.every((c) => cidrWithin(c, dflt))) {
      network = dflt;
      notes.push(`pod network ${network}: ${DEFAULTS[distro].label} (no kube-flannel-cfg, kubeadm-config or --cluster-cidr in the file; it holds every node's podCIDR)`);
    } else {
      network = covering(podCidrs) ?? dflt;
      notes.push(`pod network ${network}: the smallest prefix holding every node's podCIDR (no kube-flannel-cfg, kubeadm-config or --cluster-cidr in the file)`);
    }
  }

  const annBackends = new Set<string>();
  let annVni: number | undefined;
  for (const n of input.nodes) {
    const ann = input.nodeMeta.get(n.name)?.annotations ?? {};
    const t = ann['flannel.alpha.coreos.com/backend-type'];
    if (t) annBackends.add(t);
    const bd = ann['flannel.alpha.coreos.com/backend-data'];
    if (bd && annVni === undefined) {
      try {
        const parsed: unknown = JSON.parse(bd);
        if (isObj(parsed) && typeof parsed.VNI === 'number') annVni = parsed.VNI;
      } catch {
        // readNode has already refused a backend-data that is not JSON
      }
    }
  }
  let backend: FlannelBackend;
  if (netConf) {
    backend = netConf.backend;
    if (plainDump) notes.push(`flannel backend ${backend}: from ${cmName(flannelCm!)} (net-conf.json Backend.Type)`);
  } else if (annBackends.size > 0) {
    if (annBackends.size > 1) {
      const node = input.nodes.find((n) => (input.nodeMeta.get(n.name)?.annotations ?? {})['flannel.alpha.coreos.com/backend-type'] !== [...annBackends][0])!;
      throw specError(`Node ${node.name}`, 'metadata.annotations[flannel.alpha.coreos.com/backend-type]', `the nodes disagree on flannel's backend (${[...annBackends].join(', ')}); one flannel network has one backend`);
    }
    backend = backendOf([...annBackends][0]!, 'the nodes\' flannel.alpha.coreos.com/backend-type annotation');
    notes.push(`flannel backend ${backend}: from the nodes' flannel.alpha.coreos.com/backend-type annotation`);
  } else if (input.ipPools.length > 0) {
    backend = 'vxlan'; // unused: the IPPools' modes choose Calico's datapath (resolveModes)
  } else if (args.flannelBackend) {
    backend = backendOf(args.flannelBackend.value, args.flannelBackend.from);
    notes.push(`flannel backend ${backend}: from ${args.flannelBackend.from}`);
  } else {
    backend = 'vxlan';
    notes.push('flannel backend vxlan: the default (no kube-flannel-cfg, backend-type annotation or --flannel-backend in the file)');
  }
  const vni = netConf?.vni ?? annVni ?? 1;
  checkVni(vni, flannelCm);
  const flannel: FlannelConfig = { network, backend, vni, port: netConf?.port ?? 8472, enableNFTables: netConf?.enableNFTables ?? false };
  if (netConf?.portWasZero) notes.push(`flannel vxlan Port 0 means the kernel's default: UDP ${flannel.port}`);

  // ---- kube-proxy --------------------------------------------------------------------
  let mode: ProxyMode;
  if (proxyConf) {
    mode = proxyConf.mode;
    if (plainDump) notes.push(`kube-proxy mode ${mode}: from ${cmName(proxyCm!)} (config.conf mode${proxyConf.modeWasEmpty ? ' "" — the Linux default' : ''})`);
  } else if (args.proxyMode) {
    mode = modeOf(args.proxyMode.value, args.proxyMode.from);
    notes.push(`kube-proxy mode ${mode}: from ${args.proxyMode.from}`);
  } else {
    mode = 'iptables';
    notes.push('kube-proxy mode iptables: the default on Linux (no kube-proxy ConfigMap or --proxy-mode in the file)');
  }
  const scheduler = proxyConf?.scheduler ?? (args.scheduler ? schedulerOf(args.scheduler.value, args.scheduler.from) : 'rr');
  let clusterCIDR = proxyConf?.clusterCIDR ?? args.proxyClusterCidr?.value;
  if (!clusterCIDR && !proxyConf) {
    clusterCIDR = network;
    notes.push(`kube-proxy --cluster-cidr ${network}: assumed to be the pod network, as k3s and kubeadm set it`);
  }
  const kubeProxy: KubeProxyConfig = {
    mode,
    scheduler,
    masqueradeAll: proxyConf?.masqueradeAll ?? false,
    ...(clusterCIDR ? { clusterCIDR } : {}),
    ...(proxyConf?.nodePortAddresses ? { nodePortAddresses: proxyConf.nodePortAddresses } : {}),
  };

  // ---- the service network -----------------------------------------------------------
  // the ServiceCIDR objects (GA in 1.33) say it; else kubeadm's config or the API server's flag
  const sc = input.serviceCIDRs[0];
  let serviceCIDR = sc?.cidr ?? kubeadm.serviceSubnet ?? args.serviceCidr?.value;
  if (serviceCIDR && plainDump) notes.push(`service network ${serviceCIDR}: from ${sc ? `ServiceCIDR ${sc.name}` : kubeadm.serviceSubnet ? `${cmName(kubeadmCm!)} (networking.serviceSubnet)` : args.serviceCidr!.from}`);
  if (!serviceCIDR) {
    const dflt = DEFAULTS[distro].services;
    const api = input.services.find((s) => s.namespace === 'default' && s.name === 'kubernetes');
    if (api && input.services.every((s) => cidrWithin(`${s.clusterIP}/32`, dflt))) {
      serviceCIDR = dflt;
      notes.push(`service network ${dflt}: ${DEFAULTS[distro].label}, which holds the kubernetes Service's ${api.clusterIP} and every ClusterIP`);
    }
  }

  // ---- the machines ------------------------------------------------------------------
  const lan = inferLan(input, opts, notes);
  const nics = nicsOf(input, args);
  // a node sits on the Network its annotation names, else the one holding its InternalIP
  const segmentOf = (n: NodeSpec) => n.network || lan.networks.find((x) => prefixContains(parseCidr(x.cidr), ipToInt(n.internalIP)))?.name || '';
  const nodes = input.nodes.map((n) => ({ ...n, network: segmentOf(n), nic: n.nic || nics.get(n.name) || nics.get('') || DEFAULT_NIC }));
  if (lan.inferred && input.nodes.some((n) => !n.nic && !nics.has(n.name) && !nics.has(''))) {
    notes.push(`node NIC name ${DEFAULT_NIC}: not in a dump (the seed's VMs use it; annotate a Node with kube-packet-lab.dev/nic to change it)`);
  }
  return { networks: lan.networks, hosts: lan.hosts, nodes, flannel, kubeProxy, ...(serviceCIDR ? { serviceCIDR } : {}), notes };
}

function distroOf(input: InferInput): Distro {
  for (const n of input.nodes) {
    const meta = input.nodeMeta.get(n.name);
    if (n.info.kubeletVersion?.includes('+k3s') || meta?.labels['node.kubernetes.io/instance-type'] === 'k3s' || Object.keys(meta?.annotations ?? {}).some((k) => k.startsWith('k3s.io/'))) return 'k3s';
  }
  const kubeadm = input.configMaps.some((c) => c.name === 'kubeadm-config') || input.nodes.some((n) => 'kubeadm.alpha.kubernetes.io/cri-socket' in (input.nodeMeta.get(n.name)?.annotations ?? {}));
  return kubeadm ? 'kubeadm' : 'unknown';
}

// ---- ConfigMaps ------------------------------------------------------------------------

interface NetConf {
  readonly network: Cidr;
  readonly backend: FlannelBackend;
  readonly vni?: number;
  readonly port: number;
  readonly portWasZero: boolean;
  readonly enableNFTables: boolean;
}

/** flannel's net-conf.json (pkg/subnet/config.go ParseConfig; pkg/backend/vxlan's VNI and Port). */
function readNetConf(c: ConfigMapRead): NetConf {
  const cr = embedded(c.reader, 'net-conf.json', 'JSON', 'a JSON object')!;
  const backend = cr.oneOf('Backend.Type', ['vxlan', 'host-gw', 'udp'] as const, 'vxlan');
  const vni = cr.has('Backend.VNI') ? cr.num('Backend.VNI') : undefined;
  // the udp backend's defaultPort is 8285; vxlan's 0 means the kernel's 8472
  const rawPort = cr.num('Backend.Port', backend === 'udp' ? 8285 : 0);
  // "Port … On Linux, defaults to kernel default, currently 8472" (Documentation/backends.md)
  if (rawPort < 0 || rawPort > 65535) cr.fail('Backend.Port', `${rawPort} is not a UDP port (0 for the kernel's default 8472, else 1-65535)`);
  const prefix = parseCidr(cr.subnet('Network'));
  // pkg/subnet/config.go: "network is too small. Minimum useful network prefix is /28"
  if (prefix.len > 28) cr.fail('Network', 'network is too small. Minimum useful network prefix is /28');
  return { network: prefixToString(prefix), backend, ...(vni !== undefined ? { vni } : {}), port: rawPort === 0 ? 8472 : rawPort, portWasZero: cr.has('Backend.Port') && rawPort === 0, enableNFTables: cr.bool('EnableNFTables', false) };
}

/** A VXLAN Network Identifier is 24 bits (IFLA_VXLAN_ID; ip link: "VNI must be 0-16777215"). */
function checkVni(vni: number, cm: ConfigMapRead | undefined): void {
  if (Number.isInteger(vni) && vni >= 0 && vni <= 0xffffff) return;
  const where = cm ? `ConfigMap ${cm.namespace}/${cm.name} net-conf.json` : 'Node annotations';
  throw specError(where, cm ? 'Backend.VNI' : 'flannel.alpha.coreos.com/backend-data', `${vni} is not a VXLAN Network Identifier (0-16777215, 24 bits)`, cm?.reader.src);
}

function readKubeadm(c: ConfigMapRead): { podSubnet?: Cidr; serviceSubnet?: Cidr } {
  const r = embedded(c.reader, 'ClusterConfiguration', 'YAML', 'a ClusterConfiguration', true);
  if (!r) return {};
  return {
    ...(r.has('networking.podSubnet') ? { podSubnet: r.subnet('networking.podSubnet') } : {}),
    ...(r.has('networking.serviceSubnet') ? { serviceSubnet: r.subnet('networking.serviceSubnet') } : {}),
  };
}

/**
 * A document inside a ConfigMap's data (net-conf.json, config.conf, ClusterConfiguration), read
 * with problems pointing at the data key's line; undefined when `optional` and absent.
 */
function embedded(r: Reader, key: string, format: 'JSON' | 'YAML', what: string, optional = false): Reader | undefined {
  const path = `data[${key}]`;
  if (optional && !r.has(path)) return undefined;
  const text = r.str(path);
  let conf: unknown;
  try {
    conf = format === 'JSON' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    r.fail(path, `is not valid ${format}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(conf)) r.fail(path, `must be ${what}`);
  const line = () => r.src?.lineOf(path) ?? 0;
  return new Reader(`${r.where} ${key}`, conf, { line: line(), lineOf: line });
}

interface ProxyConf {
  readonly mode: ProxyMode;
  readonly modeWasEmpty: boolean;
  readonly clusterCIDR?: Cidr;
  readonly scheduler: IpvsScheduler;
  readonly masqueradeAll: boolean;
  readonly nodePortAddresses?: readonly string[];
}

function readProxyConf(c: ConfigMapRead): ProxyConf {
  const cr = embedded(c.reader, 'config.conf', 'YAML', 'a KubeProxyConfiguration')!;
  // an empty mode means the platform default, iptables on Linux
  const raw = cr.str('mode', '');
  const mode = raw || 'iptables';
  if (mode !== 'iptables' && mode !== 'ipvs' && mode !== 'nftables') cr.fail('mode', `"${mode}" is not supported here (iptables, ipvs, nftables)`);
  const cidr = cr.optStr('clusterCIDR');
  return {
    mode: mode as ProxyMode,
    modeWasEmpty: raw === '',
    // clusterCIDR may be a comma list (dual stack); the IPv4 one counts
    ...(cidr ? { clusterCIDR: prefixAt(cr, 'clusterCIDR', cidr.split(',').find((x) => x.includes('.')) ?? cidr) } : {}),
    // kubeadm writes `scheduler: ""`: the default, round robin
    scheduler: cr.str('ipvs.scheduler', '') === '' ? 'rr' : cr.oneOf('ipvs.scheduler', SCHEDULERS, 'rr'),
    masqueradeAll: cr.bool('masqueradeAll', false),
    ...(cr.has('nodePortAddresses') ? { nodePortAddresses: cr.items('nodePortAddresses').map((_, k) => cr.str(`nodePortAddresses.${k}`)) } : {}),
  };
}

function prefixAt(r: Reader, path: string, text: string): Cidr {
  try {
    if (!text.includes('/')) throw new Error();
    return prefixToString(parseCidr(text.trim()));
  } catch {
    return r.fail(path, `"${text}" is not an IPv4 prefix (a.b.c.d/len)`);
  }
}

// ---- command lines and annotations ------------------------------------------------------

interface Found {
  readonly value: string;
  readonly from: string;
}

interface Args {
  readonly clusterCidr?: { value: Cidr; from: string };
  readonly proxyClusterCidr?: { value: Cidr; from: string };
  readonly serviceCidr?: { value: Cidr; from: string };
  readonly proxyMode?: Found;
  readonly scheduler?: Found;
  readonly flannelBackend?: Found;
}

/** `--flag=value` or `--flag value` */
function flag(words: readonly string[], name: string): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith(`${name}=`)) return w.slice(name.length + 1);
    if (w === name && words[i + 1] !== undefined) return words[i + 1];
  }
  return undefined;
}

/** every value of a repeatable flag (`--kube-proxy-arg proxy-mode=ipvs --kube-proxy-arg …`) */
function flags(words: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith(`${name}=`)) out.push(w.slice(name.length + 1));
    else if (w === name && words[i + 1] !== undefined) out.push(words[++i]!);
  }
  return out;
}

function argsOf(input: InferInput): Args {
  let out: { -readonly [K in keyof Args]: Args[K] } = {};
  const cidrOf = (v: string, from: string): { value: Cidr; from: string } | undefined => {
    const first = v.split(',').find((x) => x.includes('.'));
    try {
      return first ? { value: prefixToString(parseCidr(first)), from } : undefined;
    } catch {
      return undefined;
    }
  };
  // k3s records its server/agent flags on the node: k3s.io/node-args
  for (const n of input.nodes) {
    const raw = input.nodeMeta.get(n.name)?.annotations['k3s.io/node-args'];
    if (!raw) continue;
    let words: unknown;
    try {
      words = JSON.parse(raw);
    } catch {
      continue;
    }
    if (!Array.isArray(words)) continue;
    const w = words.filter((x): x is string => typeof x === 'string');
    const from = `Node ${n.name}'s k3s.io/node-args`;
    const cc = flag(w, '--cluster-cidr');
    if (cc && !out.clusterCidr) out.clusterCidr = cidrOf(cc, `${from} (--cluster-cidr)`);
    const sc = flag(w, '--service-cidr');
    if (sc && !out.serviceCidr) out.serviceCidr = cidrOf(sc, `${from} (--service-cidr)`);
    const fb = flag(w, '--flannel-backend');
    if (fb && !out.flannelBackend) out.flannelBackend = { value: fb, from: `${from} (--flannel-backend)` };
    for (const kv of flags(w, '--kube-proxy-arg')) {
      const [k, v] = [kv.slice(0, kv.indexOf('=')).replace(/^-+/, ''), kv.slice(kv.indexOf('=') + 1)];
      if (k === 'proxy-mode' && !out.proxyMode) out.proxyMode = { value: v, from: `${from} (--kube-proxy-arg proxy-mode=${v})` };
      if (k === 'ipvs-scheduler' && !out.scheduler) out.scheduler = { value: v, from: `${from} (--kube-proxy-arg ipvs-scheduler=${v})` };
    }
  }
  for (const c of input.commandLines) {
    const exe = c.words[0] ?? '';
    const from = `${c.owner}'s command line`;
    if (exe.includes('kube-proxy') || c.owner.includes('kube-proxy')) {
      const m = flag(c.words, '--proxy-mode');
      if (m !== undefined && !out.proxyMode) out.proxyMode = { value: m, from: `${from} (--proxy-mode=${m})` };
      const s = flag(c.words, '--ipvs-scheduler');
      if (s && !out.scheduler) out.scheduler = { value: s, from: `${from} (--ipvs-scheduler=${s})` };
      const cc = flag(c.words, '--cluster-cidr');
      if (cc && !out.proxyClusterCidr) out.proxyClusterCidr = cidrOf(cc, from);
    }
    if (exe.includes('kube-apiserver')) {
      const r = flag(c.words, '--service-cluster-ip-range');
      if (r && !out.serviceCidr) out.serviceCidr = cidrOf(r, `${from} (--service-cluster-ip-range)`);
    }
    if (exe.includes('kube-controller-manager')) {
      const cc = flag(c.words, '--cluster-cidr');
      if (cc && !out.clusterCidr) out.clusterCidr = cidrOf(cc, `${from} (--cluster-cidr)`);
    }
  }
  out = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
  return out;
}

/** flanneld's --iface per node ('' for a DaemonSet template that applies to all). */
function nicsOf(input: InferInput, _args: Args): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of input.commandLines) {
    if (!c.words.some((w) => w.includes('flanneld')) && !c.owner.includes('flannel')) continue;
    const iface = flag(c.words, '--iface');
    if (iface && /^[A-Za-z0-9_.-]{1,15}$/.test(iface)) m.set(c.nodeName ?? '', iface);
  }
  return m;
}

function backendOf(v: string, from: string): FlannelBackend {
  if (v === 'vxlan' || v === 'host-gw' || v === 'udp') return v;
  throw new SpecError(from, `flannel backend "${v}" is not one of vxlan, host-gw, udp`);
}

function modeOf(v: string, from: string): ProxyMode {
  if (v === '' || v === 'iptables') return 'iptables';
  if (v === 'ipvs' || v === 'nftables') return v;
  throw new SpecError(from, `"${v}" is not supported here (iptables, ipvs, nftables)`);
}

function schedulerOf(v: string, from: string): IpvsScheduler {
  if ((SCHEDULERS as readonly string[]).includes(v)) return v as IpvsScheduler;
  throw new SpecError(from, `"${v}" is not one of ${SCHEDULERS.join(', ')}`);
}

// ---- the LAN -----------------------------------------------------------------------------

/**
 * Networks for the nodes no `Network` object holds: the `--lan` prefixes, else one /24 per
 * group of InternalIPs; a gateway host routing between them (.1 unless taken) and a client on
 * a free address of the first, for NodePort flows from outside.
 */
function inferLan(input: InferInput, opts: ParseOptions, notes: string[]): { networks: NetworkSpec[]; hosts: HostSpec[]; inferred: boolean } {
  const networks = [...input.networks];
  const hosts = [...input.hosts];
  const byName = new Map(networks.map((n) => [n.name, n]));
  const explicit: NetworkSpec[] = [];
  for (const [k, text] of (opts.lan ? opts.lan.split(',').map((s) => s.trim()).filter(Boolean) : []).entries()) {
    const cidr = lanPrefix(text);
    if (networks.some((n) => n.cidr === cidr)) continue;
    const net: NetworkSpec = { name: freeName(k === 0 ? 'lan' : `lan-${k + 1}`, byName), cidr, addressing: 'dhcp' };
    explicit.push(net);
    byName.set(net.name, net);
  }
  const covered = (n: NodeSpec) => (n.network ? byName.has(n.network) : [...networks, ...explicit].some((x) => prefixContains(parseCidr(x.cidr), ipToInt(n.internalIP))));
  const groups = new Map<string, NodeSpec[]>();
  for (const n of input.nodes) {
    if (covered(n)) continue;
    const p = parseCidr(`${n.internalIP}/24`);
    const key = prefixToString(p);
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const inferredNets: NetworkSpec[] = [...explicit];
  for (const [cidr] of groups) {
    const net: NetworkSpec = { name: freeName(inferredNets.length === 0 && !byName.has('lan') ? 'lan' : `lan-${inferredNets.length + 1}`, byName), cidr: cidr as Cidr, addressing: 'dhcp' };
    inferredNets.push(net);
    byName.set(net.name, net);
  }
  for (const net of explicit) notes.push(`LAN ${net.cidr}: from --lan`);
  for (const [cidr, ns] of groups) {
    notes.push(`LAN ${cidr}: inferred from the InternalIPs of ${listOf(ns.map((n) => n.name))} (nodes that share a /24 share a segment; --lan CIDR or the app's LAN field overrides)`);
  }
  if (inferredNets.length === 0) return { networks, hosts, inferred: false };

  const taken = new Set<string>([...input.nodes.map((n) => n.internalIP), ...hosts.flatMap((h) => h.interfaces.map((i) => i.address))]);
  const hostNames = new Set([...hosts.map((h) => h.name), ...input.nodes.map((n) => n.name)]);
  const gwInterfaces: HostSpec['interfaces'][number][] = [];
  const withGw: NetworkSpec[] = [];
  for (const [k, net] of inferredNets.entries()) {
    const gw = freeAddress(net.cidr, taken, [1, -2]);
    if (!gw) {
      withGw.push(net);
      notes.push(`LAN ${net.cidr} has no free address for a gateway: no default route`);
      continue;
    }
    taken.add(gw);
    gwInterfaces.push({ name: `eth${k}`, network: net.name, address: gw, prefixLen: parseCidr(net.cidr).len });
    withGw.push({ ...net, gateway: gw });
    notes.push(`gateway ${gw} on ${net.cidr}: inferred (${gw.endsWith('.1') ? 'the .1 of the LAN' : 'the .1 is taken'}${inferredNets.length > 1 ? '; one router joins the segments' : ''})`);
  }
  const all = [...networks, ...withGw];
  if (gwInterfaces.length > 0) {
    hosts.push({ name: freeHostName('gateway', hostNames), role: 'gateway', os: 'linux', ipForward: true, interfaces: gwInterfaces, routes: [], listen: [] });
  }
  const first = withGw.find((n) => groups.get(n.cidr)?.some((x) => x.name === input.nodes[0]?.name)) ?? withGw[0]!;
  const clientIp = freeAddress(first.cidr, taken, [100, -3]);
  if (clientIp) {
    hosts.push({
      name: freeHostName('client', hostNames),
      role: 'client',
      os: 'linux',
      ipForward: false,
      interfaces: [{ name: 'eth0', network: first.name, address: clientIp, prefixLen: parseCidr(first.cidr).len }],
      ...(first.gateway ? { gateway: first.gateway } : {}),
      routes: [],
      listen: [],
    });
    notes.push(`external client ${clientIp} on ${first.cidr}: a free address, for NodePort flows from outside the cluster`);
  }
  return { networks: all, hosts, inferred: true };
}

function lanPrefix(text: string): Cidr {
  let p;
  try {
    p = parseCidr(text);
  } catch {
    throw new SpecError('--lan', `"${text}" is not an IPv4 prefix (a.b.c.d/len)`);
  }
  if (!text.includes('/')) throw new SpecError('--lan', `"${text}" needs a prefix length, e.g. ${text}/24`);
  if (p.net !== ipToInt(text.split('/')[0]!)) throw new SpecError('--lan', `"${text}" has host bits set; the subnet is ${prefixToString(p)}`);
  if (p.len > 30) throw new SpecError('--lan', `"${text}" is too small for nodes and a gateway (at most /30)`);
  return prefixToString(p);
}

/** The first free host address of `cidr` among offsets (positive from the network address, negative from the broadcast). */
function freeAddress(cidr: string, taken: ReadonlySet<string>, prefer: readonly number[]): Ipv4 | undefined {
  const p = parseCidr(cidr);
  const size = 2 ** (32 - p.len);
  const ok = (off: number) => off > 0 && off < size - 1 && !taken.has(intToIp(p.net + off));
  for (const o of prefer) {
    const off = o >= 0 ? o : size + o;
    if (ok(off)) return intToIp(p.net + off);
  }
  for (let off = 1; off < Math.min(size - 1, 65536); off++) if (ok(off)) return intToIp(p.net + off);
  return undefined;
}

function freeName(base: string, taken: ReadonlyMap<string, unknown>): string {
  if (!taken.has(base)) return base;
  for (let k = 2; ; k++) if (!taken.has(`${base}-${k}`)) return `${base}-${k}`;
}

function freeHostName(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

function listOf(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  return a.len >= b.len && prefixContains(b, a.net);
}

/** The smallest prefix holding all of them (at most a /8). */
function covering(cidrs: readonly string[]): Cidr | undefined {
  if (cidrs.length === 0) return undefined;
  const ps = cidrs.map((c) => parseCidr(c));
  for (let len = Math.min(...ps.map((p) => p.len)); len >= 8; len--) {
    const cand = parseCidr(`${intToIp(ps[0]!.net)}/${len}`);
    if (ps.every((p) => prefixContains(cand, p.net))) return prefixToString(cand);
  }
  return undefined;
}
