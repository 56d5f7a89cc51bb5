/**
 * kube-proxy nftables sync at scale: `npx tsx bench/nftables-sync.ts [--quick]`.
 *
 * Medians (after discarded warm-up runs) of: building kube-proxy's knftables transaction, a full
 * sync on a fresh ruleset (the transaction applied object by object, rule bodies parsed) — with
 * the same Service objects each time, and with new ones (a rebuilt cluster: nothing computed
 * for them before) — a re-sync with nothing changed (kube-proxy's partial sync), a full sync by a
 * restarted kube-proxy onto its existing table, the same transaction as text through `nft -f`
 * (what conformance loads into the kernel), one packet's walk of nat-prerouting to the last
 * service's ClusterIP, and `nft list ruleset`. Also the rules that packet is checked against at
 * 10 … 10,000 services. Printed as JSON; nothing here asserts a time.
 */
import { kubeProxyTransaction, KubeProxyNftables } from '../src/sim/k8s/kube-proxy/nftables.ts';
import { endpoint, MASTER_PROXIER_CONFIG, seedServicePort } from '../src/sim/k8s/kube-proxy/testing.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from '../src/sim/k8s/kube-proxy/types.ts';
import { ipToInt } from '../src/sim/net/addr.ts';
import type { NfPacket } from '../src/sim/linux/netfilter/engine.ts';
import { NetNs } from '../src/sim/linux/netns.ts';
import { packetView, runNftChain } from '../src/sim/linux/nftables/eval.ts';
import { runNft } from '../src/sim/linux/nftables/parser.ts';
import { NftRuleset } from '../src/sim/linux/nftables/ruleset.ts';
import { Rng } from '../src/sim/rng.ts';
import { time, timeEach } from './timing.ts';

const quick = process.argv.includes('--quick');



const NODES = ['node0', 'node1', 'node2'];
const config: ProxierConfig = { ...MASTER_PROXIER_CONFIG, nodeName: 'node0', nodeIPs: ['192.168.205.10'], serviceCIDRs: ['10.43.0.0/16'] };

/** The same services as bench/kube-proxy-sync.ts: three nodes, every 50th service a NodePort. */
function services(count: number, perService: number): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  let pod = 0;
  for (let i = 0; i < count; i++) {
    const endpoints: ServiceEndpoint[] = [];
    for (let j = 0; j < perService; j++, pod++) {
      const node = pod % NODES.length;
      endpoints.push(endpoint(`10.42.${node}.${2 + ((pod / NODES.length) % 250 | 0)}`, 8080 + (i % 16), NODES[node]!));
    }
    const n = i + 10;
    out.push(
      seedServicePort({
        namespace: `ns-${i % 40}`,
        name: `svc-${String(i).padStart(5, '0')}`,
        portName: 'http',
        clusterIP: `10.43.${(n >> 8) & 255}.${n & 255}`,
        targetPort: 8080 + (i % 16),
        // unique, as the API server allocates them (nft refuses a second element for one key)
        nodePort: i % 50 === 0 ? 30000 + i / 50 : undefined,
        endpoints,
      }),
    );
  }
  return out;
}

/** The first packet of a connection to `svc` walking nat-prerouting: rules checked, the verdict. */
function onePacket(ns: NetNs, svc: ServicePortInfo, stats?: { evaluated: number }): string {
  const table = ns.nft.table('ip', 'kube-proxy')!;
  const pkt: NfPacket = { src: '10.42.0.5', dst: svc.clusterIP, proto: 'tcp', sport: 40000, dport: svc.port, length: 60, inDev: 'cni0', ctState: ['NEW'], mark: 0 };
  const r = runNftChain(table, table.chains.get('nat-prerouting')!, pkt, packetView(pkt, ipToInt(pkt.src), ipToInt(pkt.dst)), { ns, rng: rng, nowUs: 0, visit: () => {}, stats });
  return r.kind === 'accept' && r.nat?.kind === 'DNAT' ? `DNAT ${r.nat.addr}:${r.nat.port}` : r.kind;
}
const rng = new Rng(1);

function measure(count: number, perService: number): Record<string, unknown> {
  const runs = quick ? 3 : count >= 10000 ? 7 : 15;
  const warm = quick ? 1 : 3;
  const svcs = services(count, perService);
  const t0 = performance.now();
  const ns = new NetNs('node0', 'root', 'root');
  const first = KubeProxyNftables.sync(ns, svcs, config);
  if (!first.ok) throw new Error(first.error);
  const firstSyncMs = +(performance.now() - t0).toFixed(3);
  const text = kubeProxyTransaction(svcs, config).text();
  const table = ns.nft.table('ip', 'kube-proxy')!;
  const last = svcs.reduce((a, b) => (`${b.namespace}/${b.name}` > `${a.namespace}/${a.name}` ? b : a));
  const stats = { evaluated: 0 };
  const verdict = onePacket(ns, last, stats);
  if (!verdict.startsWith('DNAT ')) throw new Error(`packet to ${last.clusterIP} not DNATed: ${verdict}`);
  return {
    services: count,
    endpointsPerService: perService,
    transactionBytes: text.length,
    nftRules: [...table.chains.values()].reduce((n, c) => n + c.rules.length, 0),
    nftChains: table.chains.size,
    elements: [...table.sets.values()].reduce((n, s) => n + (s.anonymous ? 0 : s.elements.size), 0),
    firstSyncMs,
    transactionMs: time(runs, warm, () => kubeProxyTransaction(svcs, config)),
    syncFreshMs: timeEach(runs, warm, () => ({ nft: new NftRuleset() }), (fresh) => {
      const r = KubeProxyNftables.sync(fresh, svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    syncFreshNewObjectsMs: timeEach(runs, warm, () => ({ ns: { nft: new NftRuleset() }, svcs: structuredClone(svcs) }), (fresh) => {
      const r = KubeProxyNftables.sync(fresh.ns, fresh.svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    resyncMs: timeEach(runs, warm, () => ns, (same) => {
      const r = KubeProxyNftables.sync(same, svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    restartSyncMs: timeEach(runs, warm, () => (KubeProxyNftables.restart(ns), ns), (same) => {
      const r = KubeProxyNftables.sync(same, svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    nftDashFTextMs: timeEach(Math.max(1, runs - 4), 1, () => new NftRuleset(), (fresh) => {
      const r = runNft(fresh, text, { file: '/dev/stdin' });
      if (!r.ok) throw new Error(r.error);
    }),
    packetToLastClusterIpMs: time(runs * 20, warm * 20, () => onePacket(ns, last)),
    packetVerdict: verdict,
    packetRulesChecked: stats.evaluated,
    nftListRulesetMs: time(Math.max(1, runs - 4), 1, () => runNft(ns.nft, 'list ruleset')),
  };
}

/** Rules one packet to the last service is checked against in nat-prerouting, by size. */
function flat(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of [10, 100, 1000, 10000]) {
    const svcs = services(n, 6);
    const ns = new NetNs('node0', 'root', 'root');
    const r = KubeProxyNftables.sync(ns, svcs, config);
    if (!r.ok) throw new Error(r.error);
    const stats = { evaluated: 0 };
    onePacket(ns, svcs.reduce((a, b) => (`${b.namespace}/${b.name}` > `${a.namespace}/${a.name}` ? b : a)), stats);
    out[`${n}svc`] = stats.evaluated;
  }
  return out;
}

const sizes: [number, number][] = [
  [1000, 10],
  [10000, 6],
];
console.log(JSON.stringify({ nftables: sizes.map(([n, e]) => measure(n, e)), natPreroutingRulesChecked: flat() }, null, 2));
