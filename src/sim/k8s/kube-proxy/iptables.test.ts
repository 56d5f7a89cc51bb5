import { describe, expect, it } from 'vitest';
import { iptablesList, iptablesListRules, iptablesSave } from '../../cli/iptables.ts';
import { applyIptables } from '../../linux/netfilter/syntax.ts';
import { newTables } from '../../linux/netfilter/tables.ts';
import type { Tables } from '../../linux/netfilter/types.ts';
import { portProtoHash, servicePortEndpointChainName } from './hash.ts';
import { computeProbability, KubeProxyIptables, servicePortName, syncProxyRules } from './iptables.ts';
import type { ProxierConfig, ServicePortInfo } from './types.ts';
import { endpoint, MASTER_PROXIER_CONFIG, seedServicePort } from './testing.ts';

const ep = endpoint;
const service = seedServicePort;
const config = MASTER_PROXIER_CONFIG;

function sync(t: Tables, services: ServicePortInfo[], cfg: ProxierConfig = config): Tables {
  const r = KubeProxyIptables.sync(t, services, cfg);
  if (!r.ok) throw new Error(r.error);
  return t;
}

/** `iptables -t TABLE -S` as lines. */
function rulesOf(t: Tables, table: 'nat' | 'filter', chain?: string): string[] {
  const r = iptablesListRules(t, { table, ...(chain !== undefined && { chain }) });
  if (!r.ok) throw new Error(r.error);
  return r.output.trim().split('\n');
}

describe('computeProbability', () => {
  it("matches kube-proxy's TestComputeProbability", () => {
    const cases: [number, string][] = [
      [1, '1.0000000000'],
      [2, '0.5000000000'],
      [10, '0.1000000000'],
      [100, '0.0100000000'],
      [1000, '0.0010000000'],
      [10000, '0.0001000000'],
      [100000, '0.0000100000'],
      [100001, '0.0000099999'],
    ];
    for (const [n, p] of cases) expect(computeProbability(n)).toBe(p);
  });
});

describe('servicePortName', () => {
  it('leaves the colon out for an unnamed port', () => {
    expect(servicePortName({ namespace: 'ns1', name: 'svc1', portName: 'p80' })).toBe('ns1/svc1:p80');
    expect(servicePortName({ namespace: 'ns1', name: 'svc1', portName: '' })).toBe('ns1/svc1');
  });
});

describe('syncProxyRules on many nodes', () => {
  const node1 = { ...config, nodeName: 'node1', nodeIPs: ['192.168.205.5'] };

  it('writes every node the same payload when no service port depends on the node', () => {
    const services = [service()];
    const a = syncProxyRules(services, config).payload;
    expect(syncProxyRules(services, node1).payload).toBe(a);
    // a stale chain on one node is its own: that node's payload deletes it
    const stale = syncProxyRules(services, node1, ['KUBE-SVC-GONE00000000000']).payload;
    expect(stale).toContain('-X KUBE-SVC-GONE00000000000');
    expect(syncProxyRules(services, config).payload).not.toContain('KUBE-SVC-GONE');
  });

  it('writes each node its own Local endpoints (externalTrafficPolicy Local)', () => {
    const services = [service({ externalTrafficPolicy: 'Local' })];
    const svl = (payload: string) => payload.split('\n').filter((l) => l.startsWith('-A KUBE-SVL-'));
    expect(svl(syncProxyRules(services, config).payload)).toEqual([]);
    const onNode1 = svl(syncProxyRules(services, node1).payload);
    expect(onNode1).toHaveLength(1);
    expect(onNode1[0]).toContain('-> 10.42.1.6:80');
    expect(onNode1[0]).toContain(`-j ${servicePortEndpointChainName('default/nginx-test:80-80', 'tcp', '10.42.1.6:80')}`);
  });
});

describe('syncProxyRules payload', () => {
  const { payload, filter, nat } = syncProxyRules([service()], config);

  it('is a filter block then a nat block, each ending in COMMIT', () => {
    expect(payload).toBe(filter + nat);
    expect(filter.startsWith('*filter\n')).toBe(true);
    expect(nat.startsWith('*nat\n')).toBe(true);
    expect(filter.endsWith('COMMIT\n') && nat.endsWith('COMMIT\n')).toBe(true);
  });

  it("declares kube-proxy's chains in its order, then the service's", () => {
    const chains = nat.split('\n').filter((l) => l.startsWith(':'));
    expect(chains).toEqual([
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-POSTROUTING - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      ':KUBE-EXT-7CWUT4JBGBRVUN2L - [0:0]',
      ':KUBE-SVC-7CWUT4JBGBRVUN2L - [0:0]',
      ':KUBE-SEP-U2YYZT2C3O6VM4EV - [0:0]',
      ':KUBE-SEP-GWUIQWA2TNZI4ESX - [0:0]',
    ]);
    expect(filter.split('\n').filter((l) => l.startsWith(':'))).toEqual([
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-EXTERNAL-SERVICES - [0:0]',
      ':KUBE-FORWARD - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-PROXY-FIREWALL - [0:0]',
      ':KUBE-FIREWALL - [0:0]',
    ]);
  });

  it('writes the restore input as kube-proxy does: %#08x marks, %0.10f probabilities, bare name comments', () => {
    const lines = nat.split('\n');
    expect(lines).toContain('-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000');
    expect(lines).toContain('-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN');
    expect(lines).toContain(
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L -m comment --comment "default/nginx-test:80-80 -> 10.42.1.6:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-U2YYZT2C3O6VM4EV',
    );
    expect(lines).toContain(
      '-A KUBE-SEP-U2YYZT2C3O6VM4EV -m comment --comment default/nginx-test:80-80 -m tcp -p tcp -j DNAT --to-destination 10.42.1.6:80',
    );
    expect(lines.at(-3)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
  });

  it('puts the KUBE-FORWARD rules at the end of filter', () => {
    expect(filter.split('\n').slice(-5, -2)).toEqual([
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  it('drops the per-endpoint comments above 1000 endpoints (large cluster mode)', () => {
    const many = Array.from({ length: 1001 }, (_, i) => ep(`10.42.${i >> 8}.${i & 255}`, 80, 'node1'));
    const lines = syncProxyRules([service({ endpoints: many })], config).nat.split('\n');
    const sep = servicePortEndpointChainName('default/nginx-test:80-80', 'tcp', '10.42.0.0:80');
    expect(lines).toContain(`-A ${sep} -m tcp -p tcp -j DNAT --to-destination 10.42.0.0:80`);
    expect(lines.filter((l) => l.startsWith('-A KUBE-SVC-7CWUT4JBGBRVUN2L -j ') || l.startsWith('-A KUBE-SVC-7CWUT4JBGBRVUN2L -m statistic'))).toHaveLength(1001);
  });

  it('orders services by service port name whatever order they come in', () => {
    const a = service({ name: 'aaa', clusterIP: '10.43.0.10', nodePort: 30001 });
    const z = service({ name: 'zzz', clusterIP: '10.43.0.20', nodePort: 30002 });
    expect(syncProxyRules([z, a], config).payload).toBe(syncProxyRules([a, z], config).payload);
  });
});

describe('KubeProxyIptables.sync', () => {
  it('prepends the jump rules into the built-in chains in kube-proxy order', () => {
    const t = sync(newTables(), [service()]);
    expect(rulesOf(t, 'filter', 'FORWARD').slice(1)).toEqual([
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    expect(rulesOf(t, 'nat', 'PREROUTING').slice(1)).toEqual([
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    ]);
    expect(rulesOf(t, 'nat', 'POSTROUTING').slice(1)).toEqual([
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ]);
    expect(rulesOf(t, 'filter', 'INPUT')[1]).toBe('-A INPUT -j KUBE-FIREWALL');
  });

  it('creates the KUBE-PROXY-CANARY chains that ipt.Monitor watches', () => {
    const t = sync(newTables(), []);
    expect(t.mangle.has('KUBE-PROXY-CANARY') && t.nat.has('KUBE-PROXY-CANARY') && t.filter.has('KUBE-PROXY-CANARY')).toBe(true);
  });

  it('is idempotent: a second sync adds nothing and keeps the jump rules and their counters', () => {
    const t = sync(newTables(), [service()]);
    const jump = t.nat.get('PREROUTING')!.rules[0]!;
    jump.counters.pkts = 323;
    jump.counters.bytes = 20898;
    const before = iptablesSave(t, { counters: true });
    sync(t, [service()]);
    expect(iptablesSave(t, { counters: true })).toBe(before);
    expect(t.nat.get('PREROUTING')!.rules).toHaveLength(1);
    expect(t.nat.get('PREROUTING')!.rules[0]!.counters).toEqual({ pkts: 323, bytes: 20898 });
  });

  it('keeps rules other programs added to the built-in chains', () => {
    const t = newTables();
    applyIptables(t, ['-t', 'nat', '-N', 'CNI-HOSTPORT-DNAT']);
    applyIptables(t, ['-t', 'nat', '-A', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
    sync(t, [service()]);
    expect(rulesOf(t, 'nat', 'PREROUTING').slice(1).map((l) => l.split(' -j ')[1])).toEqual(['KUBE-SERVICES', 'CNI-HOSTPORT-DNAT']);
  });

  it('balances three endpoints 1/3, 1/2, rest, in string order of ip:port', () => {
    const svc = service({
      namespace: 'shop',
      name: 'web',
      portName: 'http',
      clusterIP: '10.43.100.7',
      port: 8080,
      nodePort: undefined,
      endpoints: [ep('10.42.2.3', 8080, 'node2'), ep('10.42.1.9', 8080, 'node1'), ep('10.42.1.10', 8080, 'node1')],
    });
    const t = sync(newTables(), [svc]);
    const svcChain = `KUBE-SVC-${portProtoHash('shop/web:http', 'tcp')}`;
    const sep = (e: string) => servicePortEndpointChainName('shop/web:http', 'tcp', e);
    expect(rulesOf(t, 'nat', svcChain).slice(1)).toEqual([
      `-A ${svcChain} ! -s 10.42.0.0/16 -d 10.43.100.7/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ`,
      // "10.42.1.10:8080" < "10.42.1.9:8080" as strings, as kube-proxy sorts them
      `-A ${svcChain} -m comment --comment "shop/web:http -> 10.42.1.10:8080" -m statistic --mode random --probability 0.33333333349 -j ${sep('10.42.1.10:8080')}`,
      `-A ${svcChain} -m comment --comment "shop/web:http -> 10.42.1.9:8080" -m statistic --mode random --probability 0.50000000000 -j ${sep('10.42.1.9:8080')}`,
      `-A ${svcChain} -m comment --comment "shop/web:http -> 10.42.2.3:8080" -j ${sep('10.42.2.3:8080')}`,
    ]);
    const listing = iptablesList(t, { table: 'nat', numeric: true, verbose: true, chain: svcChain });
    expect(listing.ok && listing.output).toContain('statistic mode random probability 0.33333333349');
    expect(t.nat.has(`KUBE-EXT-${portProtoHash('shop/web:http', 'tcp')}`)).toBe(false);
  });

  it('rejects a service without endpoints in filter KUBE-SERVICES and writes no nat chains for it', () => {
    const svc = service({ name: 'empty', clusterIP: '10.43.0.99', nodePort: 30999, endpoints: [] });
    const t = sync(newTables(), [svc]);
    expect(rulesOf(t, 'filter', 'KUBE-SERVICES').slice(1)).toEqual([
      '-A KUBE-SERVICES -d 10.43.0.99/32 -p tcp -m comment --comment "default/empty:80-80 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(rulesOf(t, 'filter', 'KUBE-EXTERNAL-SERVICES').slice(1)).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/empty:80-80 has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30999 -j REJECT --reject-with icmp-port-unreachable',
    ]);
    const listing = iptablesList(t, { numeric: true, verbose: true, chain: 'KUBE-SERVICES' });
    expect(listing.ok && listing.output).toContain(
      '/* default/empty:80-80 has no endpoints */ tcp dpt:80 reject-with icmp-port-unreachable',
    );
    expect([...t.nat.keys()].filter((c) => c.includes(portProtoHash('default/empty:80-80', 'tcp')))).toEqual([]);
  });

  it('deletes the chains of a removed endpoint and of a removed service, and nothing else', () => {
    const t = newTables();
    applyIptables(t, ['-t', 'nat', '-N', 'CNI-HOSTPORT-DNAT']);
    sync(t, [service()]);
    sync(t, [service({ endpoints: [ep('10.42.1.6', 80, 'node1')] })]);
    expect(t.nat.has('KUBE-SEP-GWUIQWA2TNZI4ESX')).toBe(false);
    expect(t.nat.has('KUBE-SEP-U2YYZT2C3O6VM4EV')).toBe(true);
    sync(t, []);
    expect([...t.nat.keys()].filter((c) => c.includes('7CWUT4JBGBRVUN2L') || c.startsWith('KUBE-SEP-'))).toEqual([]);
    expect(t.nat.has('CNI-HOSTPORT-DNAT')).toBe(true);
    expect(rulesOf(t, 'nat', 'KUBE-SERVICES').slice(1)).toHaveLength(1); // only the nodeports tail rule
  });

  it('changes nothing when the restore fails, as when a stale chain is still referenced', () => {
    const t = sync(newTables(), [service()]);
    applyIptables(t, ['-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-SEP-GWUIQWA2TNZI4ESX']);
    const before = iptablesSave(t);
    const r = KubeProxyIptables.sync(t, [service({ endpoints: [ep('10.42.1.6', 80, 'node1')] })], config);
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('Too many links') });
    expect(iptablesSave(t)).toBe(before);
  });

  describe('externalTrafficPolicy: Local', () => {
    const local = service({ externalTrafficPolicy: 'Local' });
    const hash = '7CWUT4JBGBRVUN2L';

    it('on a node with a local endpoint: short-circuits pod and host traffic, externals go to KUBE-SVL', () => {
      const t = sync(newTables(), [local], { ...config, nodeName: 'node1', nodeIPs: ['192.168.205.3'] });
      expect(rulesOf(t, 'nat', `KUBE-EXT-${hash}`).slice(1)).toEqual([
        `-A KUBE-EXT-${hash} -s 10.42.0.0/16 -m comment --comment "pod traffic for default/nginx-test:80-80 external destinations" -j KUBE-SVC-${hash}`,
        `-A KUBE-EXT-${hash} -m comment --comment "masquerade LOCAL traffic for default/nginx-test:80-80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
        `-A KUBE-EXT-${hash} -m comment --comment "route LOCAL traffic for default/nginx-test:80-80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-${hash}`,
        `-A KUBE-EXT-${hash} -j KUBE-SVL-${hash}`,
      ]);
      expect(rulesOf(t, 'nat', `KUBE-SVL-${hash}`).slice(1)).toEqual([
        `-A KUBE-SVL-${hash} -m comment --comment "default/nginx-test:80-80 -> 10.42.1.6:80" -j KUBE-SEP-U2YYZT2C3O6VM4EV`,
      ]);
      // the cluster chain still has both endpoints, for the short-circuited traffic
      expect(rulesOf(t, 'nat', `KUBE-SVC-${hash}`)).toHaveLength(4);
    });

    it('on a node without one: drops external traffic in filter, keeps the short-circuit rules', () => {
      const t = sync(newTables(), [local]);
      expect(rulesOf(t, 'filter', 'KUBE-EXTERNAL-SERVICES').slice(1)).toEqual([
        '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/nginx-test:80-80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 32506 -j DROP',
      ]);
      expect(rulesOf(t, 'nat', `KUBE-EXT-${hash}`).slice(1)).toHaveLength(3);
      expect(t.nat.has(`KUBE-SVL-${hash}`)).toBe(false);
    });
  });

  it('drops ClusterIP traffic with internalTrafficPolicy Local and no local endpoint', () => {
    const t = sync(newTables(), [service({ internalTrafficPolicy: 'Local', nodePort: undefined })]);
    expect(rulesOf(t, 'filter', 'KUBE-SERVICES').slice(1)).toEqual([
      '-A KUBE-SERVICES -d 10.43.6.58/32 -p tcp -m comment --comment "default/nginx-test:80-80 has no local endpoints" -m tcp --dport 80 -j DROP',
    ]);
  });

  it('pins clients with sessionAffinity ClientIP through the recent match', () => {
    const t = sync(newTables(), [service({ sessionAffinity: 'ClientIP', sessionAffinityTimeout: 10800 })]);
    const svc = rulesOf(t, 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L');
    expect(svc[2]).toBe(
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L -m comment --comment "default/nginx-test:80-80 -> 10.42.1.6:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-U2YYZT2C3O6VM4EV --rsource -j KUBE-SEP-U2YYZT2C3O6VM4EV',
    );
    expect(rulesOf(t, 'nat', 'KUBE-SEP-U2YYZT2C3O6VM4EV')[2]).toBe(
      '-A KUBE-SEP-U2YYZT2C3O6VM4EV -p tcp -m comment --comment "default/nginx-test:80-80" -m recent --set --name KUBE-SEP-U2YYZT2C3O6VM4EV --rsource -m tcp -j DNAT --to-destination 10.42.1.6:80',
    );
    const listing = iptablesList(t, { table: 'nat', numeric: true, chain: 'KUBE-SVC-7CWUT4JBGBRVUN2L' });
    expect(listing.ok && listing.output).toContain('recent: CHECK seconds: 10800 reap name: KUBE-SEP-U2YYZT2C3O6VM4EV side: source');
  });

  it('falls back to serving, terminating endpoints when none is ready', () => {
    const t = sync(newTables(), [
      service({ endpoints: [ep('10.42.1.6', 80, 'node1', { ready: false, terminating: true }), ep('10.42.2.6', 80, 'node2', { ready: false, serving: false })] }),
    ]);
    expect(rulesOf(t, 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L').slice(2)).toEqual([
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L -m comment --comment "default/nginx-test:80-80 -> 10.42.1.6:80" -j KUBE-SEP-U2YYZT2C3O6VM4EV',
    ]);
  });

  it('filters LoadBalancer source ranges through KUBE-FW and KUBE-PROXY-FIREWALL', () => {
    const t = sync(newTables(), [
      service({ loadBalancerIPs: ['1.2.3.4'], loadBalancerSourceRanges: [' 203.0.113.0/25 ', '192.168.205.0/24'] }),
    ]);
    const fw = 'KUBE-FW-7CWUT4JBGBRVUN2L';
    expect(rulesOf(t, 'nat', fw).slice(1)).toEqual([
      `-A ${fw} -s 203.0.113.0/25 -m comment --comment "default/nginx-test:80-80 loadbalancer IP" -j KUBE-EXT-7CWUT4JBGBRVUN2L`,
      `-A ${fw} -s 192.168.205.0/24 -m comment --comment "default/nginx-test:80-80 loadbalancer IP" -j KUBE-EXT-7CWUT4JBGBRVUN2L`,
      // the node's own address is in a range: the VIP as source is allowed too
      `-A ${fw} -s 1.2.3.4/32 -m comment --comment "default/nginx-test:80-80 loadbalancer IP" -j KUBE-EXT-7CWUT4JBGBRVUN2L`,
      `-A ${fw} -m comment --comment "other traffic to default/nginx-test:80-80 will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    expect(rulesOf(t, 'filter', 'KUBE-PROXY-FIREWALL').slice(1)).toEqual([
      `-A KUBE-PROXY-FIREWALL -d 1.2.3.4/32 -p tcp -m comment --comment "default/nginx-test:80-80 traffic not accepted by ${fw}" -m tcp --dport 80 -j DROP`,
    ]);
  });

  it('follows the options: masqueradeAll, localhostNodePorts=false, no --random-fully', () => {
    const t = sync(newTables(), [service()], { ...config, masqueradeAll: true, localhostNodePorts: false, hasRandomFully: false });
    expect(rulesOf(t, 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L')[1]).toBe(
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L -d 10.43.6.58/32 -p tcp -m comment --comment "default/nginx-test:80-80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    );
    expect(rulesOf(t, 'nat', 'KUBE-SERVICES').at(-1)).toBe(
      '-A KUBE-SERVICES ! -d 127.0.0.0/8 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
    expect(rulesOf(t, 'nat', 'KUBE-POSTROUTING').at(-1)).toBe(
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
    );
    expect(rulesOf(t, 'filter', 'KUBE-FIREWALL')).toEqual(['-N KUBE-FIREWALL']);
  });

  it('blocks localnet connections in KUBE-FIREWALL when localhost NodePorts are on', () => {
    const t = sync(newTables(), [service()]);
    expect(rulesOf(t, 'filter', 'KUBE-FIREWALL')[1]).toBe(
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    );
  });

  it('sends external IPs to KUBE-EXT', () => {
    const t = sync(newTables(), [service({ externalIPs: ['192.168.205.200'] })]);
    expect(rulesOf(t, 'nat', 'KUBE-SERVICES')).toContain(
      '-A KUBE-SERVICES -d 192.168.205.200/32 -p tcp -m comment --comment "default/nginx-test:80-80 external IP" -m tcp --dport 80 -j KUBE-EXT-7CWUT4JBGBRVUN2L',
    );
  });
});
