/**
 * Conformance of the nf_tables model against the real kernel: the rulesets our controllers write
 * (kube-proxy's nftables proxier, flanneld's nftables mode) are loaded with the real `nft -f`
 * inside network namespaces of our own (prefix `kpln-`), and every listing the real nft prints
 * there must equal the model's `nft` output (handles excepted: `-a` listings are compared with
 * `# handle N` removed). Exits 1 on any difference, 2 when it cannot run (no root, no nft).
 *
 *   npx tsx scripts/conformance/nftables.ts [--verbose]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/sim/api.ts';
import { flannelNftTransactions } from '../../src/sim/k8s/flannel-nftables.ts';
import { proxierConfig, servicePorts } from '../../src/sim/k8s/kube-proxy/controller.ts';
import { nftablesTransaction } from '../../src/sim/k8s/kube-proxy/nftables.ts';
import { endpoint, seedServicePort } from '../../src/sim/k8s/kube-proxy/testing.ts';
import type { ProxierConfig, ServicePortInfo } from '../../src/sim/k8s/kube-proxy/types.ts';
import { runNft } from '../../src/sim/linux/nftables/parser.ts';
import { NftRuleset } from '../../src/sim/linux/nftables/ruleset.ts';
import { generateClusterYaml } from '../../src/sim/scenarios/generate.ts';

const PREFIX = `kpln-nft-${process.pid}`;
const LISTINGS = [
  'list ruleset',
  '-a list ruleset',
  'list tables',
  'list chains',
  'list sets',
  'list maps',
  'list table ip kube-proxy',
  'list chain ip kube-proxy services',
  'list map ip kube-proxy service-ips',
  'list set ip kube-proxy cluster-ips',
];

interface Case {
  readonly name: string;
  /** the transactions, in the order the controllers ran them */
  readonly batches: readonly string[];
  /** the model's ruleset after the same transactions */
  readonly model: NftRuleset;
}

const created: string[] = [];
let tmp: string | undefined;

function sh(argv: readonly string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function cleanup(): void {
  for (const ns of created.splice(0)) sh(['ip', 'netns', 'del', ns]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** The model's listing, as the `nft` CLI prints it (no expiry times: nothing here has a timeout). */
function modelList(rs: NftRuleset, cmd: string): string {
  const handles = cmd.startsWith('-a ');
  const r = runNft(rs, handles ? cmd.slice(3) : cmd, { list: { handles } });
  return r.ok ? r.output : r.error;
}

const stripHandles = (s: string): string => s.replace(/ # handle \d+/g, '');

/** The seed cluster in nftables mode (flannel in its iptables mode or its nftables mode), per node. */
function clusterCases(name: string, yaml: string | undefined, flannelNft: boolean): Case[] {
  const loaded = loadScenario({ ...(yaml === undefined ? { preset: 'seed' } : { cluster: yaml }), modes: { proxy: 'nftables' }, seed: 1, before: [] });
  if (!loaded.ok) throw new Error(`${name}: ${loaded.error.where}: ${loaded.error.message}`);
  const c = loaded.value;
  const spec = flannelNft ? { ...c.spec, flannel: { ...c.spec.flannel, enableNFTables: true } } : c.spec;
  const services = servicePorts(spec);
  return spec.nodes.map((n) => {
    const batches = [...(flannelNft ? flannelNftTransactions(spec.flannel.network, n.podCIDR) : []), nftablesTransaction(services, proxierConfig(c, n.name))];
    // flannel's nftables mode is a spec switch: build the model's node from the same batches
    const model = flannelNft ? replay(batches) : c.nodes.get(n.name)!.nft;
    return { name: `${name} ${n.name}`, batches, model };
  });
}

function replay(batches: readonly string[]): NftRuleset {
  const rs = new NftRuleset();
  for (const b of batches) {
    const r = runNft(rs, b, { file: '/dev/stdin' });
    if (!r.ok) throw new Error(`the model refused its own batch:\n${r.error}`);
  }
  return rs;
}

/** Every kind of service port the proxier writes: kube-proxy's TestOverallNFTablesRules services. */
function proxierCase(): Case {
  const svc = (ns: string, n: string, over: Partial<ServicePortInfo>): ServicePortInfo => seedServicePort({ namespace: ns, name: n, portName: 'p80', nodePort: undefined, endpoints: [], ...over });
  const services = [
    svc('ns1', 'svc1', { clusterIP: '172.30.0.41', endpoints: [endpoint('10.180.0.1', 80, '')] }),
    svc('ns2', 'svc2', { clusterIP: '172.30.0.42', nodePort: 3001, externalTrafficPolicy: 'Local', loadBalancerIPs: ['1.2.3.4'], externalIPs: ['192.168.99.22'], endpoints: [endpoint('10.180.0.2', 80, '')] }),
    svc('ns3', 'svc3', { clusterIP: '172.30.0.43', nodePort: 3003, endpoints: [endpoint('10.180.0.3', 80, '')] }),
    svc('ns4', 'svc4', { clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], endpoints: [endpoint('10.180.0.4', 80, ''), endpoint('10.180.0.5', 80, 'test-node')] }),
    svc('ns5', 'svc5', { clusterIP: '172.30.0.45', nodePort: 3002, loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: ['203.0.113.0/25', '192.168.0.0/24'], sessionAffinity: 'ClientIP', endpoints: [endpoint('10.180.0.3', 80, '')] }),
    svc('ns6', 'svc6', { clusterIP: '172.30.0.46' }),
    svc('ns7', 'svc7', { clusterIP: '172.30.0.47', protocol: 'UDP', port: 53, internalTrafficPolicy: 'Local', endpoints: [endpoint('10.180.0.7', 53, 'test-node'), endpoint('10.180.0.8', 53, 'other')] }),
  ];
  const config: ProxierConfig = {
    nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', masqueradeBit: 14, masqueradeAll: false,
    localhostNodePorts: true, hasRandomFully: true, serviceCIDRs: ['172.30.0.0/16'], nodePortAddresses: [],
  };
  const batches = [nftablesTransaction(services, config)];
  return { name: 'kube-proxy test services (all local IPs accept NodePorts)', batches, model: replay(batches) };
}

function main(): number {
  if (process.getuid?.() !== 0) {
    console.error('nftables conformance: needs root (it creates network namespaces)');
    return 2;
  }
  if (sh(['sh', '-c', 'command -v nft']).status !== 0) {
    console.error('nftables conformance: nft is not installed (apt-get install nftables)');
    return 2;
  }
  const verbose = process.argv.includes('--verbose');
  tmp = mkdtempSync(join(tmpdir(), 'kpln-nft-'));
  const cases = [
    ...clusterCases('seed', undefined, false),
    ...clusterCases('seed + flannel EnableNFTables', undefined, true),
    ...clusterCases('generated 40 services', generateClusterYaml({ nodes: 2, podsPerNode: 20, services: 40, endpointsPerService: 3, proxy: 'nftables' }), false).slice(0, 1),
    proxierCase(),
  ];
  let differences = 0;
  let compared = 0;
  cases.forEach((cs, i) => {
    const ns = `${PREFIX}-${i}`;
    const add = sh(['ip', 'netns', 'add', ns]);
    if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
    created.push(ns);
    cs.batches.forEach((b, k) => {
      const file = join(tmp!, `${i}-${k}.nft`);
      writeFileSync(file, b);
      const r = sh(['ip', 'netns', 'exec', ns, 'nft', '-f', file]);
      if (r.status !== 0) {
        differences++;
        console.log(`DIFF ${cs.name}: the kernel refused batch ${k}:\n${r.stderr}`);
      }
    });
    for (const cmd of LISTINGS) {
      const real = sh(['ip', 'netns', 'exec', ns, 'nft', ...cmd.split(' ')]);
      const realOut = real.status === 0 ? real.stdout : real.stderr;
      const ours = modelList(cs.model, cmd);
      const same = cmd.startsWith('-a ') ? stripHandles(realOut) === stripHandles(ours) : realOut === ours;
      compared++;
      if (same) {
        if (verbose) console.log(`ok   ${cs.name}: nft ${cmd}`);
        continue;
      }
      differences++;
      console.log(`DIFF ${cs.name}: nft ${cmd}`);
      const a = realOut.split('\n');
      const b = ours.split('\n');
      let shown = 0;
      for (let l = 0; l < Math.max(a.length, b.length) && shown < 8; l++) {
        if (a[l] === b[l]) continue;
        shown++;
        console.log(`  line ${l + 1}\n    kernel: ${a[l] ?? '(none)'}\n    model:  ${b[l] ?? '(none)'}`);
      }
    }
    sh(['ip', 'netns', 'del', ns]);
    created.splice(created.indexOf(ns), 1);
  });
  console.log(`nftables conformance: ${cases.length} rulesets, ${compared} listings compared, ${differences} difference(s)`);
  return differences === 0 ? 0 : 1;
}

let code = 1;
try {
  code = main();
} finally {
  cleanup();
}
process.exit(code);
