import type { CalicoBackend } from '../../api-types.ts';
import { cidrContains, intToIp, ipToInt, parseCidr, prefixContains, prefixToString, type Cidr, type Ipv4 } from '../../net/addr.ts';
import type { ClusterSpec, IPPoolSpec, NodeSpec } from '../spec.ts';

/**
 * calico-ipam's state for a cluster: which blocks of which pool are affine to which node, the
 * pod addresses a node borrowed from another node's block, and each node's tunnel address.
 * The pods of a cluster file already have their addresses, so the blocks are what allocating
 * them would have claimed: the block of each pod's address goes to the first node that used it.
 */
export interface CalicoIpam {
  readonly pools: readonly IPPoolSpec[];
  /** affine blocks, in claim order */
  readonly blocks: readonly Block[];
  /** addresses a node's pods hold in a block affine to another node (strictAffinity false) */
  readonly borrowed: ReadonlyMap<string, readonly Ipv4[]>;
  /** tunl0's address per node (projectcalico.org/IPv4IPIPTunnelAddr), when IPIP is on */
  readonly tunnelAddr: ReadonlyMap<string, Ipv4>;
  /** what calico-ipam could not do, for the user (a pod outside every pool) */
  readonly notes: readonly string[];
}

export interface Block {
  readonly cidr: Cidr;
  readonly node: string;
  readonly pool: IPPoolSpec;
}

/** calico-node's default pool when the cluster has none (CALICO_IPV4POOL_*): the cluster CIDR, /26 blocks, IPIP Always, NAT outgoing. */
function defaultPool(spec: ClusterSpec): IPPoolSpec {
  return {
    name: 'default-ipv4-ippool',
    cidr: spec.kubeProxy.clusterCIDR ?? spec.flannel.network,
    blockSize: 26,
    ipipMode: 'Always',
    vxlanMode: 'Never',
    natOutgoing: true,
    disabled: false,
    nodeSelector: 'all()',
  };
}

const IPIP_MODE: Readonly<Record<CalicoBackend, IPPoolSpec['ipipMode']>> = { ipip: 'Always', bgp: 'Never', crosssubnet: 'CrossSubnet' };

/** The backend a pool's ipipMode amounts to: what the cluster file says when the user picked nothing. */
export function backendOfPools(pools: readonly IPPoolSpec[]): CalicoBackend {
  const mode = pools.find((p) => !p.disabled)?.ipipMode ?? 'Always';
  return mode === 'Never' ? 'bgp' : mode === 'CrossSubnet' ? 'crosssubnet' : 'ipip';
}

/**
 * The pools in force: the file's IPPools (or calico-node's default one), with the ipipMode the
 * chosen backend asks for — as `calicoctl patch ippool … ipipMode` would set it.
 */
export function effectivePools(spec: ClusterSpec, backend: CalicoBackend): IPPoolSpec[] {
  const pools = spec.ipPools.length > 0 ? spec.ipPools : [defaultPool(spec)];
  return pools.map((p) => (p.disabled ? p : { ...p, ipipMode: IPIP_MODE[backend] }));
}

function blockOf(pool: IPPoolSpec, ip: Ipv4): Cidr {
  const p = parseCidr(`${ip}/${pool.blockSize}`);
  return prefixToString(p);
}

/**
 * calico-ipam over the cluster's pods (AutoAssign's result, replayed): the first pod in a block
 * claims it for its node; a pod of another node in the same block borrowed the address. With
 * IPIP on, every node then takes the lowest free address of its first block for tunl0 — claiming a
 * block first if it has none (calico-ipam picks a random free block; here the one at the start of
 * the node's podCIDR, else the pool's first free block, so a trace is reproducible).
 */
export function assignBlocks(spec: ClusterSpec, pools: readonly IPPoolSpec[], ipip: boolean): CalicoIpam {
  const blocks: Block[] = [];
  const borrowed = new Map<string, Ipv4[]>();
  const notes: string[] = [];
  const used = new Set<number>(spec.pods.map((p) => ipToInt(p.ip)));
  const enabled = pools.filter((p) => !p.disabled);
  for (const pod of spec.pods) {
    const pool = enabled.find((p) => cidrContains(p.cidr, pod.ip));
    if (!pool) {
      notes.push(`calico-ipam: pod ${pod.namespace}/${pod.name} has ${pod.ip}, which is in no enabled IPPool (${enabled.map((p) => p.cidr).join(', ') || 'none'}); BIRD advertises no route to it`);
      continue;
    }
    const cidr = blockOf(pool, pod.ip);
    const owner = blocks.find((b) => b.cidr === cidr);
    if (!owner) blocks.push({ cidr, node: pod.nodeName, pool });
    else if (owner.node !== pod.nodeName) borrowed.set(pod.nodeName, [...(borrowed.get(pod.nodeName) ?? []), pod.ip]);
  }
  const tunnelAddr = new Map<string, Ipv4>();
  if (ipip) {
    for (const node of spec.nodes) {
      const addr = node.calicoTunnelAddr ?? allocateTunnelAddr(node, enabled, blocks, used);
      if (!addr) {
        notes.push(`calico-ipam: no free address in ${enabled.map((p) => p.cidr).join(', ')} for ${node.name}'s tunnel (tunl0 stays without an address)`);
        continue;
      }
      tunnelAddr.set(node.name, addr);
      used.add(ipToInt(addr));
      const pool = enabled.find((p) => cidrContains(p.cidr, addr));
      if (pool && !blocks.some((b) => b.cidr === blockOf(pool, addr))) blocks.push({ cidr: blockOf(pool, addr), node: node.name, pool });
    }
  }
  return { pools, blocks, borrowed, tunnelAddr, notes };
}

/** AutoAssign for the `ipip-tunnel-addr-<node>` handle: the lowest free ordinal of an affine block, else of a newly claimed one. */
function allocateTunnelAddr(node: NodeSpec, pools: readonly IPPoolSpec[], blocks: Block[], used: ReadonlySet<number>): Ipv4 | undefined {
  const mine = blocks.filter((b) => b.node === node.name).sort((a, b) => parseCidr(a.cidr).net - parseCidr(b.cidr).net);
  for (const b of mine) {
    const free = lowestFree(b.cidr, used);
    if (free) return free;
  }
  for (const pool of pools) {
    const candidates: Cidr[] = [];
    if (cidrContains(pool.cidr, node.podCIDR.split('/')[0]!)) candidates.push(blockOf(pool, node.podCIDR.split('/')[0] as Ipv4));
    const p = parseCidr(pool.cidr);
    const size = 2 ** (32 - pool.blockSize);
    // bounded by the pool: at most 2^(blockSize - poolLen) blocks, 64 Ki for a /16 of /32s
    for (let n = p.net, k = 0; k < 65536 && prefixContains(p, n); n += size, k++) candidates.push(`${intToIp(n)}/${pool.blockSize}` as Cidr);
    for (const c of candidates) {
      if (blocks.some((b) => b.cidr === c)) continue;
      const free = lowestFree(c, used);
      if (!free) continue;
      blocks.push({ cidr: c, node: node.name, pool });
      return free;
    }
  }
  return undefined;
}

function lowestFree(block: Cidr, used: ReadonlySet<number>): Ipv4 | undefined {
  const p = parseCidr(block);
  for (let i = 0; i < 2 ** (32 - p.len); i++) if (!used.has(p.net + i)) return intToIp(p.net + i);
  return undefined;
}
