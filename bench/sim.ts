/**
 * `npm run bench` (simulation part): medians of repeated runs on this machine, printed as JSON.
 * Measured with performance.now() around the operation only; the first runs warm the JIT and
 * are discarded. Not a test: nothing here asserts a time.
 */
import type { FlowSpec, ProxyMode } from '../src/sim/api-types.ts';
import { buildCluster, type Cluster } from '../src/sim/k8s/cluster.ts';
import { firstPacket, resolveDestination, resolveSource, traceFlow } from '../src/sim/k8s/flows.ts';
import { parseCluster } from '../src/sim/k8s/spec.ts';
import { PacketWalk } from '../src/sim/linux/path/walk.ts';
import { generateClusterYaml } from '../src/sim/scenarios/generate.ts';
import { SEED_CLUSTER_YAML } from '../src/sim/scenarios/seed-cluster.ts';
import { time } from './timing.ts';



function spec(yaml: string) {
  const r = parseCluster(yaml);
  if (!r.ok) throw new Error(`${r.error.where}: ${r.error.message}`);
  return r.value;
}

/** One packet (no replies): the SYN from `from` to `to`, walked by the kernel model. */
function onePacket(c: Cluster, flow: FlowSpec): () => void {
  const ns = resolveSource(c, flow.from)!;
  const dst = resolveDestination(c, flow.to)!;
  const silent = { reply: () => [] };
  return () => {
    const t = new PacketWalk(c.world, silent).run(ns, firstPacket(c, ns, flow, dst));
    if (t.verdict !== 'delivered') throw new Error(`benchmark flow not delivered: ${t.reason}`);
  };
}

function ruleCount(c: Cluster, node: string): { nat: number; filter: number } {
  const ns = c.nodes.get(node)!;
  const count = (t: Map<string, { rules: unknown[] }>) => [...t.values()].reduce((n, ch) => n + ch.rules.length, 0);
  return { nat: count(ns.nf.nat), filter: count(ns.nf.filter) };
}

const out: Record<string, unknown> = {};
const seedSpec = spec(SEED_CLUSTER_YAML);
out.seedBuildMs = time(50, 10, () => buildCluster(spec(SEED_CLUSTER_YAML), {}, 1));
out.seedParseAndBuildMs = time(30, 5, () => {
  const r = parseCluster(SEED_CLUSTER_YAML + '\n# ' + Math.random());
  if (r.ok) buildCluster(r.value, {}, 1);
});
for (const backend of ['vxlan', 'host-gw'] as const) {
  const c = buildCluster(seedSpec, { backend }, 1);
  out[`seedCrossNodePacketMs_${backend}`] = time(500, 100, onePacket(c, { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' }));
  out[`seedClusterIpFlowMs_${backend}`] = time(300, 50, () => traceFlow(c, { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' }));
}

const big = spec(generateClusterYaml({ nodes: 100, podsPerNode: 30, services: 50, endpointsPerService: 6 }));
out.big100Nodes3000PodsBuildMs = time(5, 1, () => buildCluster(big, {}, 1));
const bigC = buildCluster(big, {}, 1);
out.big100Nodes3000PodsPacketMs = time(200, 50, onePacket(bigC, { from: 'app-0-0', to: `${big.pods.at(-1)!.ip}:80`, proto: 'tcp', kind: 'connect' }));

for (const [services, eps] of [[1000, 10], [10000, 6]] as const) {
  for (const proxy of ['iptables', 'ipvs', 'nftables'] as ProxyMode[]) {
    const s = spec(generateClusterYaml({ nodes: 3, podsPerNode: 100, services, endpointsPerService: eps, proxy }));
    const t0 = performance.now();
    const c = buildCluster(s, {}, 1);
    const buildMs = performance.now() - t0;
    const key = `${proxy}_${services}svc_x${eps}ep`;
    out[`${key}_rules_master`] = ruleCount(c, 'master');
    out[`${key}_ipsetEntries_master`] = [...c.nodes.get('master')!.ipsets.values()].reduce((n, set) => n + set.entries.size, 0);
    // three nodes, each synced by its own kube-proxy
    out[`${key}_clusterBuild3NodesMs`] = +buildMs.toFixed(1);
    const last = s.services.at(-1)!;
    out[`${key}_packetToLastServiceMs`] = time(50, 10, onePacket(c, { from: 'app-0-0', to: `${last.clusterIP}:80`, proto: 'tcp', kind: 'connect' }));
  }
}
console.log(JSON.stringify(out, null, 2));
