/**
 * kube-proxy iptables sync at scale: `npx tsx bench/kube-proxy-sync.ts [--quick]`.
 *
 * Medians (after warm-up runs, which are discarded) of each step of a kube-proxy sync and of what
 * reads its result: payload generation (syncProxyRules), iptables-restore of that payload,
 * KubeProxyIptables.sync on fresh tables and again on synced ones, one packet's walk through
 * nat PREROUTING to the last service's ClusterIP (the far end of KUBE-SERVICES), and the
 * `iptables -nvL -t nat` / `iptables-save` renderers. Printed as JSON. Not a test: nothing here
 * asserts a time.
 */
import { iptablesList, iptablesSave } from '../src/sim/cli/iptables.ts';
import { KubeProxyIptables, syncProxyRules } from '../src/sim/k8s/kube-proxy/iptables.ts';
import { endpoint, MASTER_PROXIER_CONFIG, seedServicePort } from '../src/sim/k8s/kube-proxy/testing.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from '../src/sim/k8s/kube-proxy/types.ts';
import { runHook, type NfPacket } from '../src/sim/linux/netfilter/engine.ts';
import { iptablesRestore } from '../src/sim/linux/netfilter/syntax.ts';
import { newTables } from '../src/sim/linux/netfilter/tables.ts';
import type { Tables } from '../src/sim/linux/netfilter/types.ts';
import { NetNs } from '../src/sim/linux/netns.ts';
import { Rng } from '../src/sim/rng.ts';
import { time, timeEach } from './timing.ts';

const quick = process.argv.includes('--quick');



const NODES = ['node0', 'node1', 'node2'];

const config: ProxierConfig = { ...MASTER_PROXIER_CONFIG, nodeName: 'node0', nodeIPs: ['192.168.205.10'] };

/**
 * `count` service ports with `perService` endpoints each, spread over three nodes (pod CIDRs
 * 10.42.N.0/24); names are zero-padded so the last index is also the last in kube-proxy's
 * sorted order, and every 50th service has a NodePort.
 */
function services(count: number, perService: number): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  let pod = 0;
  for (let i = 0; i < count; i++) {
    const endpoints: ServiceEndpoint[] = [];
    for (let j = 0; j < perService; j++, pod++) {
      const node = pod % NODES.length;
      endpoints.push(endpoint(`10.42.${node}.${2 + ((pod / NODES.length) % 250 | 0)}`, 8080 + (i % 16), NODES[node]!));
    }
    out.push(
      seedServicePort({
        namespace: `ns-${i % 40}`,
        name: `svc-${String(i).padStart(5, '0')}`,
        portName: 'http',
        clusterIP: clusterIP(i),
        targetPort: 8080 + (i % 16),
        nodePort: i % 50 === 0 ? 30000 + (i % 2700) : undefined,
        endpoints,
      }),
    );
  }
  return out;
}

function clusterIP(i: number): string {
  const n = i + 10;
  return `10.43.${(n >> 8) & 255}.${n & 255}`;
}

function synced(svcs: readonly ServicePortInfo[]): Tables {
  const t = newTables();
  const r = KubeProxyIptables.sync(t, svcs, config);
  if (!r.ok) throw new Error(r.error);
  return t;
}

function ruleCount(t: Tables, table: 'nat' | 'filter'): number {
  let n = 0;
  for (const c of t[table].values()) n += c.rules.length;
  return n;
}

/** The service that kube-proxy writes last into KUBE-SERVICES (its sort key is the greatest). */
function lastService(svcs: readonly ServicePortInfo[]): ServicePortInfo {
  const key = (s: ServicePortInfo) => `${s.namespace}/${s.name}:${s.portName}/${s.protocol}`;
  return svcs.reduce((a, b) => (key(b) > key(a) ? b : a));
}

function measure(count: number, perService: number): Record<string, unknown> {
  const runs = quick ? 3 : count >= 10000 ? 7 : 15;
  const warm = quick ? 1 : 3;
  const svcs = services(count, perService);
  // the first sync of these service objects: nothing cached yet (chain-name hashes), one sample
  const t0 = performance.now();
  const t = synced(svcs);
  const firstSyncMs = +(performance.now() - t0).toFixed(3);
  const payload = syncProxyRules(svcs, config).payload;

  const ns = new NetNs('node0', 'root', 'root');
  const syncedNs = KubeProxyIptables.sync(ns.nf, svcs, config);
  if (!syncedNs.ok) throw new Error(syncedNs.error);
  const last = lastService(svcs);
  const rng = new Rng(1);
  const packet = (): NfPacket => ({
    src: '10.42.0.5',
    dst: last.clusterIP,
    proto: 'tcp',
    sport: 40000,
    dport: last.port,
    length: 60,
    inDev: 'cni0',
    ctState: ['NEW'],
    mark: 0,
  });
  let verdict = '';
  const hookOpts = { hook: 'PREROUTING' as const, nat: true, rng, nowSec: 0, visit: () => {} };

  const result = {
    services: count,
    endpointsPerService: perService,
    payloadBytes: payload.length,
    natRules: ruleCount(t, 'nat'),
    filterRules: ruleCount(t, 'filter'),
    natChains: t.nat.size,
    firstSyncMs,
    syncProxyRulesMs: time(runs, warm, () => syncProxyRules(svcs, config)),
    iptablesRestoreMs: timeEach(runs, warm, newTables, (fresh) => {
      const r = iptablesRestore(fresh, payload, { noflush: true, counters: true });
      if (!r.ok) throw new Error(r.error);
    }),
    syncFreshMs: timeEach(runs, warm, newTables, (fresh) => {
      const r = KubeProxyIptables.sync(fresh, svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    resyncMs: timeEach(runs, warm, () => t, (same) => {
      const r = KubeProxyIptables.sync(same, svcs, config);
      if (!r.ok) throw new Error(r.error);
    }),
    runHookLastClusterIpMs: timeEach(runs * 5, warm * 5, packet, (p) => {
      const v = runHook(ns, p, hookOpts);
      verdict = v.kind === 'accept' && v.nat?.kind === 'DNAT' ? `DNAT ${v.nat.addr}:${v.nat.port}` : v.kind;
    }),
    runHookVerdict: verdict,
    iptablesListNatMs: time(runs, warm, () => iptablesList(t, { table: 'nat', numeric: true, verbose: true })),
    iptablesSaveMs: time(runs, warm, () => iptablesSave(t)),
  };
  if (!result.runHookVerdict.startsWith('DNAT ')) throw new Error(`packet to ${last.clusterIP} not DNATed: ${verdict}`);
  return result;
}

const sizes: [number, number][] = [
  [1000, 10],
  [10000, 6],
];
console.log(JSON.stringify(sizes.map(([n, e]) => measure(n, e)), null, 2));
