import { describe, expect, it } from 'vitest';
import { runNft } from '../../linux/nftables/parser.ts';
import { NftRuleset } from '../../linux/nftables/ruleset.ts';
import { printElement, printRule, sortedElements } from '../../linux/nftables/print.ts';
import { KubeProxyNftables, nftablesTransaction } from './nftables.ts';
import { endpoint, MASTER_PROXIER_CONFIG, seedServicePort } from './testing.ts';
import type { ProxierConfig, ServicePortInfo } from './types.ts';

/**
 * kube-proxy's own expectations (pkg/proxy/nftables/proxier_test.go, TestOverallNFTablesRules at
 * 81810de): the services of NewFakeProxier's conventions — pods 10.0.0.0/8, ClusterIPs
 * 172.30.0.0/16, node 192.168.0.2, NodePorts only there (`--nodeport-addresses 192.168.0.2/32`).
 * The expected ruleset is kube-proxy's text, loaded with our nft parser; the proxier's ruleset
 * must hold the same chains with the same rules and the same set and map elements.
 */
const FAKE_CONFIG: ProxierConfig = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDR: '10.0.0.0/8',
  masqueradeBit: 14,
  masqueradeAll: false,
  localhostNodePorts: true,
  hasRandomFully: true,
  serviceCIDRs: ['172.30.0.0/16'],
  nodePortAddresses: ['192.168.0.2/32'],
};

const BASE_RULES = `add table ip kube-proxy { comment "rules for kube-proxy" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }
add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
add chain ip kube-proxy firewall-check
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nodeport-endpoints-check
add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
add element ip kube-proxy nodeport-ips { 192.168.0.2 }
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
`;

const EXPECTED = `# svc1
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }
add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
add element ip kube-proxy cluster-ips { 172.30.0.41 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
# svc2
add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
add element ip kube-proxy cluster-ips { 172.30.0.42 }
add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }
# svc3
add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add element ip kube-proxy cluster-ips { 172.30.0.43 }
add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }
# svc4
add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
add element ip kube-proxy cluster-ips { 172.30.0.44 }
add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }
# svc5
add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop
add element ip kube-proxy cluster-ips { 172.30.0.45 }
add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }
# svc6
add element ip kube-proxy cluster-ips { 172.30.0.46 }
add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
`;

const svc = (ns: string, name: string, over: Partial<ServicePortInfo>): ServicePortInfo =>
  seedServicePort({ namespace: ns, name, portName: 'p80', port: 80, targetPort: 80, nodePort: undefined, endpoints: [], ...over });

/** TestOverallNFTablesRules' services and EndpointSlices. */
const OVERALL: ServicePortInfo[] = [
  svc('ns1', 'svc1', { clusterIP: '172.30.0.41', endpoints: [endpoint('10.180.0.1', 80, '')] }),
  // LoadBalancer with eTP Local; its endpoint has no nodeName, so it is not local
  svc('ns2', 'svc2', { clusterIP: '172.30.0.42', nodePort: 3001, externalTrafficPolicy: 'Local', loadBalancerIPs: ['1.2.3.4'], externalIPs: ['192.168.99.22'], endpoints: [endpoint('10.180.0.2', 80, '')] }),
  svc('ns3', 'svc3', { clusterIP: '172.30.0.43', nodePort: 3003, endpoints: [endpoint('10.180.0.3', 80, '')] }),
  svc('ns4', 'svc4', { clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], endpoints: [endpoint('10.180.0.4', 80, ''), endpoint('10.180.0.5', 80, 'test-node')] }),
  svc('ns5', 'svc5', {
    clusterIP: '172.30.0.45', nodePort: 3002, loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: [' 203.0.113.0/25'],
    sessionAffinity: 'ClientIP', sessionAffinityTimeout: 10800, endpoints: [endpoint('10.180.0.3', 80, '')],
  }),
  svc('ns6', 'svc6', { clusterIP: '172.30.0.46' }),
];

/** The ruleset as sorted facts: every chain with its rules in order, every set with its elements. */
function facts(rs: NftRuleset): string[] {
  const table = rs.table('ip', 'kube-proxy')!;
  const out: string[] = [];
  for (const c of table.chains.values()) {
    const head = c.base ? `${c.name} ${c.base.type} ${c.base.hook} ${c.base.priority}` : c.name;
    out.push(`chain ${head}${c.comment ? ` "${c.comment}"` : ''}: ${c.rules.map((r) => printRule(table, r)).join(' ; ')}`);
  }
  for (const s of table.sets.values()) {
    if (s.anonymous) continue;
    out.push(`set ${s.name} ${s.keyType.join('.')}:${s.dataType ?? ''} ${s.flags.join(',')} ${s.timeoutMs ?? ''} "${s.comment ?? ''}": ${sortedElements(s).map((e) => printElement(s, e)).join(', ')}`);
  }
  return out.sort();
}

/**
 * Loads kube-proxy's expected text. The test dumps objects grouped by kind, so a rule may name a
 * chain listed after it; a batch needs the chain first, so tables, sets and chains go first.
 */
function load(text: string): NftRuleset {
  const rank = (l: string) => (l.startsWith('add table') ? 0 : /^add (set|map)/.test(l) ? 1 : l.startsWith('add chain') ? 2 : 3);
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const rs = new NftRuleset();
  const r = runNft(rs, [...lines].sort((a, b) => rank(a) - rank(b)).join('\n'));
  if (!r.ok) throw new Error(r.error);
  return rs;
}

describe('kube-proxy nftables proxier: kube-proxy\'s own test vectors', () => {
  const ours = new NftRuleset();
  const synced = KubeProxyNftables.sync({ nft: ours }, OVERALL, FAKE_CONFIG);

  it('loads its transaction with nft -f', () => {
    expect(synced).toEqual({ ok: true });
  });

  it('writes what TestOverallNFTablesRules expects: base chains, ClusterIP, eTP Local LoadBalancer, NodePort, ExternalIP, affinity and source ranges, no endpoints', () => {
    expect(facts(ours)).toEqual(facts(load(BASE_RULES + EXPECTED)));
  });

  it('applies object by object exactly what its text loads to through nft -f', () => {
    const viaText = new NftRuleset();
    const r = runNft(viaText, nftablesTransaction(OVERALL, FAKE_CONFIG), { file: '/dev/stdin' });
    expect(r.ok).toBe(true);
    expect(facts(ours)).toEqual(facts(viaText));
    expect(runNft(ours, 'list ruleset', { list: { handles: true } })).toEqual(runNft(viaText, 'list ruleset', { list: { handles: true } }));
  });

  it('names a service port\'s chains ULMVA6XW-ns1/svc1/tcp/p80 and its endpoint 5OJB2KTY-…__10.180.0.1/80', () => {
    const table = ours.table('ip', 'kube-proxy')!;
    expect(table.chains.has('service-ULMVA6XW-ns1/svc1/tcp/p80')).toBe(true);
    expect(table.chains.has('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80')).toBe(true);
  });
});

describe('kube-proxy nftables proxier on the seed cluster', () => {
  const config: ProxierConfig = { ...MASTER_PROXIER_CONFIG, serviceCIDRs: ['10.43.0.0/16'] };
  const text = nftablesTransaction([seedServicePort()], config);

  it('balances the seed service over its two endpoints with one numgen vmap rule', () => {
    expect(text).toContain('add rule ip kube-proxy service-T2SAD64M-default/nginx-test/tcp/80-80 numgen random mod 2 vmap { 0 : goto endpoint-');
    expect(text).toContain('add element ip kube-proxy service-ips { 10.43.6.58 . tcp . 80 : goto service-T2SAD64M-default/nginx-test/tcp/80-80 }');
  });

  it('accepts NodePorts only on the node\'s primary IP by default (nodePortAddresses: primary)', () => {
    expect(text).toContain('add element ip kube-proxy nodeport-ips { 192.168.205.4 }');
    expect(text).toContain('add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
    expect(text).toContain('add element ip kube-proxy service-nodeports { tcp . 32506 : goto external-T2SAD64M-default/nginx-test/tcp/80-80 }');
  });

  it('with every local IP (nodePortAddresses empty) uses fib daddr type local and deletes nodeport-ips', () => {
    const all = nftablesTransaction([seedServicePort()], { ...config, nodePortAddresses: [] });
    expect(all).toContain('delete set ip kube-proxy nodeport-ips');
    expect(all).toContain('add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports');
  });

  it('iTP Local without a local endpoint drops ClusterIP traffic on this node', () => {
    const t = nftablesTransaction([seedServicePort({ internalTrafficPolicy: 'Local' })], config);
    expect(t).toContain('add element ip kube-proxy no-endpoint-services { 10.43.6.58 . tcp . 80 comment "default/nginx-test:80-80" : drop }');
  });

  it('eTP Local with a local endpoint sends external traffic to the local- chain', () => {
    const here = seedServicePort({ externalTrafficPolicy: 'Local', endpoints: [endpoint('10.42.0.65', 80, 'master'), endpoint('10.42.1.9', 80, 'node1')] });
    const t = nftablesTransaction([here], config);
    expect(t).toMatch(/add rule ip kube-proxy external-(\S+) goto local-\1/);
    expect(t).toMatch(/add rule ip kube-proxy local-\S+ numgen random mod 1 vmap \{ 0 : goto endpoint-\S+__10\.42\.0\.65\/80 \}/);
  });

  it('re-syncs onto its own table: stale service chains are flushed, the ruleset stays loadable', () => {
    const rs = new NftRuleset();
    expect(KubeProxyNftables.sync({ nft: rs }, [seedServicePort()], config).ok).toBe(true);
    expect(KubeProxyNftables.sync({ nft: rs }, [], config).ok).toBe(true);
    const table = rs.table('ip', 'kube-proxy')!;
    const stale = [...table.chains.values()].filter((c) => c.name.includes('/'));
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((c) => c.rules.length === 0)).toBe(true);
    expect(table.sets.get('service-ips')!.elements.size).toBe(0);
  });
});

describe('kube-proxy nftables proxier: partial syncs (syncProxyRules with tryPartialSync)', () => {
  const ruleset = (rs: NftRuleset, handles = false) => {
    const r = runNft(rs, 'list ruleset', { list: { handles } });
    if (!r.ok) throw new Error(r.error);
    return r.output;
  };
  // the first service gains an endpoint, the second goes, a new one comes
  const first = OVERALL[0]!;
  const changed: ServicePortInfo[] = [
    { ...first, endpoints: [...first.endpoints, endpoint('10.180.0.99', first.endpoints[0]?.port ?? 80, 'host2')] },
    ...OVERALL.slice(2),
    seedServicePort({ namespace: 'ns9', name: 'svc9', portName: 'p80', clusterIP: '172.30.0.99', nodePort: undefined }),
  ];
  const partial = new NftRuleset();
  const noChange = { before: '', after: '' };
  KubeProxyNftables.sync({ nft: partial }, OVERALL, FAKE_CONFIG);
  noChange.before = ruleset(partial, true);
  KubeProxyNftables.sync({ nft: partial }, OVERALL.map((s) => ({ ...s })), FAKE_CONFIG);
  noChange.after = ruleset(partial, true);
  const partialSync = KubeProxyNftables.sync({ nft: partial }, changed, FAKE_CONFIG);
  const full = new NftRuleset();
  KubeProxyNftables.sync({ nft: full }, OVERALL, FAKE_CONFIG);
  KubeProxyNftables.restart({ nft: full });
  const fullSync = KubeProxyNftables.sync({ nft: full }, changed, FAKE_CONFIG);

  it('a re-sync of unchanged Services rewrites nothing: every rule keeps its handle (nft -a)', () => {
    expect(noChange.after).toBe(noChange.before);
    expect(noChange.after).toContain('# handle');
  });

  it('after a change holds what a restarted kube-proxy writes in full: the same chains, rules and elements', () => {
    expect(partialSync).toEqual({ ok: true });
    expect(fullSync).toEqual({ ok: true });
    expect(facts(partial)).toEqual(facts(full));
    const listing = ruleset(partial);
    expect(listing).toContain('172.30.0.99 . tcp . 80 : goto service-');
    expect(listing).not.toContain(`${OVERALL[1]!.clusterIP} . tcp`);
  });

  it('keeps a gone service\'s chains flushed, and deletes them in the first sync more than a second after it last flushed them', () => {
    const rs = new NftRuleset();
    KubeProxyNftables.sync({ nft: rs }, [seedServicePort()], MASTER_PROXIER_CONFIG, 0);
    KubeProxyNftables.sync({ nft: rs }, [], MASTER_PROXIER_CONFIG, 500_000);
    const names = () => [...rs.table('ip', 'kube-proxy')!.chains.keys()].filter((c) => c.includes('/'));
    expect(names().length).toBe(4);
    KubeProxyNftables.sync({ nft: rs }, [], MASTER_PROXIER_CONFIG, 1_000_000);
    expect(names().length).toBe(4);
    KubeProxyNftables.sync({ nft: rs }, [], MASTER_PROXIER_CONFIG, 2_100_000);
    expect(names()).toEqual([]);
    expect(ruleset(rs)).not.toContain('nginx-test');
  });
});
