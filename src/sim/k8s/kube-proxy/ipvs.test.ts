import { describe, expect, it } from 'vitest';
import { loadScenario, simulate } from '../../api.ts';
import type { FlowSpec, Modes } from '../../api-types.ts';
import { runIptables } from '../../cli/iptables.ts';
import type { Ipv4 } from '../../net/addr.ts';
import type { Ipv4Layer, TcpLayer } from '../../net/packet.ts';
import type { IpvsService } from '../../linux/ipvs.ts';
import type { NetNs } from '../../linux/netns.ts';
import { World } from '../../linux/world.ts';
import { generateClusterYaml } from '../../scenarios/generate.ts';
import { SEED_CLUSTER_YAML } from '../../scenarios/seed-cluster.ts';
import type { Trace, TraceEvent } from '../../trace/event.ts';
import type { Cluster } from '../cluster.ts';
import { traceFlow } from '../flows.ts';
import { parseCluster } from '../spec.ts';
import { proxierConfig, servicePorts } from './controller.ts';
import { KubeProxyIpvs, KUBE_IPVS0, planIpvsSync } from './ipvs.ts';
import type { ProxierConfig, ServicePortInfo } from './types.ts';

const N8S9S = 'nginx-test-7646687cc4-n8s9s';
const toService: FlowSpec = { from: N8S9S, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' };
const toNodePort: FlowSpec = { from: 'client', to: '192.168.205.4:32506', proto: 'tcp', kind: 'connect' };

function cluster(modes: Modes = { proxy: 'ipvs', scheduler: 'rr' }): Cluster {
  const c = loadScenario({ preset: 'seed', modes, seed: 1, before: [] });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

function run(c: Cluster, flow: FlowSpec): Trace {
  const t = traceFlow(c, flow);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

/** `TCP 10.43.6.58:80 rr -> 10.42.1.6:80 Masq 1 | …`, in ipvsadm order. */
function virtualServers(ns: NetNs): string[] {
  return ns.ipvs!.listed().map((s) => `${s.proto} ${s.addr}:${s.port} ${s.scheduler}${s.persistent !== undefined ? ` persistent ${s.persistent}` : ''}${virtualDests(s)}`);
}
const virtualDests = (s: IpvsService): string =>
  [...s.dests].sort((a, b) => (a.addr < b.addr ? -1 : 1)).map((d) => ` -> ${d.addr}:${d.port} ${d.fwd} ${d.weight}`).join('');

const nat = (ns: NetNs): string[] => {
  const r = runIptables(ns.nf, ['-t', 'nat', '-S']);
  if (!r.ok) throw new Error(r.error);
  return r.output.trimEnd().split('\n');
};
const filter = (ns: NetNs): string[] => {
  const r = runIptables(ns.nf, ['-S']);
  if (!r.ok) throw new Error(r.error);
  return r.output.trimEnd().split('\n');
};

const chosen = (t: Trace, host = 'master'): string => t.events.find((e) => e.packetId === 0 && e.host === host && e.kind === 'ipvs')!.verdict!;
const ip = (e: TraceEvent) => e.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
const tcp = (e: TraceEvent) => e.packet.find((l) => l.type === 'tcp') as TcpLayer;

describe('seed §3c/§4c: kube-proxy in ipvs mode on master', () => {
  const c = cluster();
  const master = c.nodes.get('master')!;

  it('has a virtual server per ClusterIP:port and per node address:NodePort, with Masq real servers of weight 1', () => {
    expect(virtualServers(master)).toEqual([
      'TCP 192.168.205.4:32506 rr -> 10.42.1.6:80 Masq 1 -> 10.42.2.6:80 Masq 1',
      'TCP 10.42.0.0:32506 rr -> 10.42.1.6:80 Masq 1 -> 10.42.2.6:80 Masq 1',
      'TCP 10.42.0.1:32506 rr -> 10.42.1.6:80 Masq 1 -> 10.42.2.6:80 Masq 1',
      'TCP 10.43.0.1:443 rr -> 192.168.205.4:6443 Masq 1',
      'TCP 10.43.6.58:80 rr -> 10.42.1.6:80 Masq 1 -> 10.42.2.6:80 Masq 1',
    ]);
  });

  it('binds every ClusterIP to the kube-ipvs0 dummy as a /32, and only those', () => {
    const dev = master.dev(KUBE_IPVS0)!;
    expect(dev.kind).toBe('dummy');
    expect(dev.addrs.map((a) => `${a.addr}/${a.prefixLen}`)).toEqual(['10.43.0.1/32', '10.43.6.58/32']);
    expect(master.isLocal('10.43.6.58' as Ipv4)).toBe(true);
    // no prefix route for a /32, and NodePort addresses are the node's own, never bound
    expect(master.fib.lookup('10.43.6.59' as Ipv4)?.route.dev).not.toBe(KUBE_IPVS0);
    expect(master.sysctl.ipForward).toBe(true);
  });

  it('fills the ipsets kube-proxy matches with one rule each', () => {
    const members = (name: string) => [...master.ipsets.get(name)!.entries];
    expect(members('KUBE-CLUSTER-IP')).toEqual(['10.43.0.1,tcp:443', '10.43.6.58,tcp:80']);
    expect(members('KUBE-NODE-PORT-TCP')).toEqual(['32506']);
    expect(members('KUBE-IPVS-IPS')).toEqual(['10.43.0.1', '10.43.6.58']);
    expect(members('KUBE-LOOP-BACK')).toEqual([]);
    expect(master.ipsets.get('KUBE-CLUSTER-IP')!.type).toBe('hash:ip,port');
    expect(master.ipsets.get('KUBE-NODE-PORT-TCP')!.type).toBe('bitmap:port');
    expect(master.ipsets.get('KUBE-LOOP-BACK')!.type).toBe('hash:ip,port,ip');
    expect(master.ipsets.get('KUBE-IPVS-IPS')!.type).toBe('hash:ip');
    expect(master.ipsets.get('KUBE-CLUSTER-IP')!.comment).toBe('Kubernetes service cluster ip + port for masquerade purpose');
    // hairpin entries exist only where an endpoint is local
    expect([...c.nodes.get('node1')!.ipsets.get('KUBE-LOOP-BACK')!.entries]).toEqual(['10.42.1.6,tcp:80,10.42.1.6']);
  });

  it("writes proxier.go's fixed nat rules, matching the sets", () => {
    const rules = nat(master);
    expect(rules).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(rules).toContain('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(rules).toContain('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
    expect(rules.filter((r) => r.startsWith('-A KUBE-SERVICES'))).toEqual([
      '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
      '-A KUBE-SERVICES ! -s 10.42.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
      '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      '-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
    expect(rules).toContain('-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ');
    expect(rules).toContain('-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
    expect(rules).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    expect(rules.filter((r) => r.startsWith('-A KUBE-POSTROUTING'))).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    // no per-service chains at all
    expect(rules.some((r) => /KUBE-(SVC|SEP|EXT)-/.test(r))).toBe(false);
  });

  it('writes the filter rules: jumps prepended in iptablesJumpChain order, KUBE-IPVS-FILTER, KUBE-FORWARD', () => {
    const rules = filter(master);
    expect(rules.filter((r) => r.startsWith('-A INPUT'))).toEqual([
      '-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
      '-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
    ]);
    expect(rules).toContain('-A OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER');
    expect(rules.filter((r) => r.startsWith('-A KUBE-IPVS-FILTER'))).toEqual([
      '-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN',
      '-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN',
      '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN',
      '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN',
      '-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN',
      '-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(rules).toContain('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT');
    expect(rules).toContain('-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT');
  });

  it('a second sync changes nothing (the jumps are only added when missing, the sets and servers are diffed)', () => {
    const before = [nat(master), filter(master), virtualServers(master), master.dev(KUBE_IPVS0)!.addrs.length];
    const r = KubeProxyIpvs.sync(c.world, master, servicePorts(c.spec), { ...proxierConfig(c, 'master'), scheduler: 'rr' });
    expect(r.ok).toBe(true);
    expect([nat(master), filter(master), virtualServers(master), master.dev(KUBE_IPVS0)!.addrs.length]).toEqual(before);
  });

  it('services that went away lose their virtual servers and their kube-ipvs0 address', () => {
    const c2 = cluster();
    const m = c2.nodes.get('master')!;
    expect(KubeProxyIpvs.sync(c2.world, m, [], { ...proxierConfig(c2, 'master'), scheduler: 'rr' }).ok).toBe(true);
    expect(m.ipvs!.services).toHaveLength(0);
    expect(m.dev(KUBE_IPVS0)!.addrs).toHaveLength(0);
    expect(m.ipsets.get('KUBE-CLUSTER-IP')!.entries.size).toBe(0);
    // empty sets drop their rules: only the fixed ones remain
    expect(nat(m).filter((l) => l.startsWith('-A KUBE-SERVICES'))).toEqual(['-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN', '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT']);
  });
});

describe('seed §5: pod → ClusterIP is PREROUTING → INPUT (IPVS) → POSTROUTING', () => {
  const r = simulate({ preset: 'seed', modes: { proxy: 'ipvs', scheduler: 'rr' }, seed: 1, before: [], flow: toService });
  if (!r.ok) throw new Error(r.error.message);
  const t = r.value.trace;
  const req = t.events.filter((e) => e.packetId === 0 && e.host === 'master' && e.netns === 'root');
  const ipvsAt = req.findIndex((e) => e.kind === 'ipvs');

  it('goes through INPUT and IPVS on master, with no FORWARD before IPVS', () => {
    expect(ipvsAt).toBeGreaterThan(0);
    expect(req.slice(0, ipvsAt).some((e) => e.hook === 'INPUT')).toBe(true);
    expect(req.slice(0, ipvsAt).some((e) => e.hook === 'FORWARD')).toBe(false);
    expect(req[ipvsAt]!.verdict).toMatch(/^10\.42\.[12]\.6:80$/);
    expect(req[ipvsAt]!.ref?.text).toBe('TCP  10.43.6.58:80 rr');
    expect(req.slice(ipvsAt).some((e) => e.hook === 'POSTROUTING')).toBe(true);
    // the ClusterIP is local because kube-ipvs0 holds it
    expect(req.find((e) => e.kind === 'route')!.verdict).toBe('local');
  });

  it('KUBE-SERVICES accepts the ClusterIP by set match (no per-service rule) and does not mark pod traffic', () => {
    const services = req.filter((e) => e.kind === 'rule' && e.ref?.chain === 'KUBE-SERVICES').map((e) => e.verdict);
    expect(services.at(-1)).toBe('ACCEPT');
    expect(services).not.toContain('jump KUBE-MARK-MASQ');
  });

  it('the SYN-ACK reaches n8s9s from 10.43.6.58:80', () => {
    const synAck = t.events.filter((e) => e.packetId === 1);
    const deliver = synAck.at(-1)!;
    expect(deliver.kind).toBe('deliver');
    expect(deliver.netns).toBe(N8S9S);
    expect(ip(deliver).src).toBe('10.43.6.58');
    expect(tcp(deliver).srcport).toBe(80);
  });
});

describe('schedulers over repeated connections on one cluster', () => {
  it('rr alternates between the two endpoints', () => {
    const c = cluster({ proxy: 'ipvs', scheduler: 'rr' });
    const picks = [1, 2, 3, 4].map(() => chosen(run(c, toService)));
    expect(picks[0]).not.toBe(picks[1]);
    expect(picks[2]).toBe(picks[0]);
    expect(picks[3]).toBe(picks[1]);
    const svc = c.nodes.get('master')!.ipvs!.find('TCP', '10.43.6.58' as Ipv4, 80)!.service;
    expect(svc.stats.conns).toBe(4);
    // each connection was closed (TIME_WAIT): IPVS counts it as inactive
    expect(svc.dests.map((d) => [d.activeConns, d.inactConns])).toEqual([[0, 2], [0, 2]]);
  });

  it('sh keeps a source on one endpoint', () => {
    const c = cluster({ proxy: 'ipvs', scheduler: 'sh' });
    expect(c.nodes.get('master')!.ipvs!.listed()[0]!.scheduler).toBe('sh');
    const picks = new Set([1, 2, 3, 4, 5].map(() => chosen(run(c, toService))));
    expect(picks.size).toBe(1);
    const fromClient = new Set([1, 2, 3].map(() => chosen(run(c, toNodePort))));
    expect(fromClient.size).toBe(1);
  });

  it('lc follows the load: a closed connection weighs 1, an active one 256', () => {
    const c = cluster({ proxy: 'ipvs', scheduler: 'lc' });
    // the same history on a twin cluster says at which step the second connection's handshake
    // is done: the debugger stopped there leaves that connection open (ESTABLISHED, active)
    const twin = cluster({ proxy: 'ipvs', scheduler: 'lc' });
    run(twin, toService);
    const handshake = run(twin, toService).events.findIndex((e) => e.packetId === 3);
    const first = chosen(run(c, toService));
    const open = traceFlow(c, toService, handshake);
    if (!open.ok) throw new Error(open.error.message);
    const second = chosen(open.value);
    expect(second).not.toBe(first);
    const ipvs = c.nodes.get('master')!.ipvs!;
    const load = (addr: string) => ipvs.find('TCP', '10.43.6.58' as Ipv4, 80)!.service.dests.filter((d) => `${d.addr}:${d.port}` === addr).map((d) => [d.activeConns, d.inactConns]);
    expect([load(first), load(second)]).toEqual([[[0, 1]], [[1, 0]]]);
    // 0×256 + 1 (the closed one) < 1×256 + 0 (the open one), and still after a second closed one
    expect(chosen(run(c, toService))).toBe(first);
    expect(chosen(run(c, toService))).toBe(first);
  });

  it('wrr respects a changed weight (3:1)', () => {
    const c = cluster({ proxy: 'ipvs', scheduler: 'wrr' });
    const ipvs = c.nodes.get('master')!.ipvs!;
    const svc = ipvs.find('TCP', '10.43.6.58' as Ipv4, 80)!.service;
    const heavy = svc.dests.find((d) => d.addr === '10.42.1.6')!;
    ipvs.editDest(svc, heavy, 3);
    const picks = Array.from({ length: 8 }, () => chosen(run(c, toService)));
    expect(picks.filter((p) => p === '10.42.1.6:80')).toHaveLength(6);
    expect(picks.filter((p) => p === '10.42.2.6:80')).toHaveLength(2);
  });

  it('mh sets mh-port (kube-proxy FlagSourceHash) on every virtual server', () => {
    const c = cluster({ proxy: 'ipvs', scheduler: 'mh' });
    expect(c.nodes.get('master')!.ipvs!.services.every((s) => s.scheduler === 'mh' && s.schedFlags.join() === 'mh-port')).toBe(true);
  });
});

const config: ProxierConfig & { scheduler: string } = {
  nodeName: 'n1',
  nodeIPs: ['192.168.0.10'],
  clusterCIDR: '10.42.0.0/16',
  masqueradeBit: 14,
  masqueradeAll: false,
  localhostNodePorts: true,
  hasRandomFully: true,
  scheduler: 'rr',
};

function servicePort(over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: 'default', name: 'web', portName: 'http', protocol: 'TCP', clusterIP: '10.43.0.20', port: 80, targetPort: 8080,
    externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], sessionAffinity: 'None', sessionAffinityTimeout: 10800,
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', endpoints: [], ...over,
  };
}

function node(): { world: World; ns: NetNs } {
  const world = new World(1);
  const ns = world.createNs('n1', 'root', 'root');
  const nic = world.addDummy(ns, 'eth0');
  ns.addAddress(nic, { addr: '192.168.0.10' as Ipv4, prefixLen: 24 });
  return { world, ns };
}

describe('KubeProxyIpvs.sync on its own', () => {
  it('keeps a service without endpoints as a virtual server with no real servers', () => {
    const { world, ns } = node();
    expect(KubeProxyIpvs.sync(world, ns, [servicePort()], config).ok).toBe(true);
    const svc = ns.ipvs!.find('TCP', '10.43.0.20' as Ipv4, 80)!.service;
    expect(svc.dests).toHaveLength(0);
  });

  it('ClientIP affinity makes the virtual server persistent with the affinity timeout', () => {
    const { world, ns } = node();
    const ep = { ip: '10.42.1.5', port: 8080, nodeName: 'n2', ready: true, serving: true, terminating: false };
    KubeProxyIpvs.sync(world, ns, [servicePort({ sessionAffinity: 'ClientIP', sessionAffinityTimeout: 600, endpoints: [ep] })], config);
    expect(virtualServers(ns)).toEqual(['TCP 10.43.0.20:80 rr persistent 600 -> 10.42.1.5:8080 Masq 1']);
  });

  it('externalIPs get a bound virtual server and KUBE-EXTERNAL-IP rules; a node address is not bound', () => {
    const { world, ns } = node();
    KubeProxyIpvs.sync(world, ns, [servicePort({ externalIPs: ['203.0.113.7', '192.168.0.10'] })], config);
    expect(ns.dev(KUBE_IPVS0)!.addrs.map((a) => a.addr)).toEqual(['10.43.0.20', '203.0.113.7']);
    expect([...ns.ipsets.get('KUBE-EXTERNAL-IP')!.entries]).toEqual(['192.168.0.10,tcp:80', '203.0.113.7,tcp:80']);
    expect(nat(ns)).toContain('-A KUBE-SERVICES -m comment --comment "Kubernetes service external ip + port for masquerade and filter purpose" -m set --match-set KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT');
  });

  it('a removed endpoint with live TCP connections is quiesced (weight 0), without them deleted', () => {
    const { world, ns } = node();
    const a = { ip: '10.42.1.5', port: 8080, nodeName: 'n2', ready: true, serving: true, terminating: false };
    const b = { ...a, ip: '10.42.2.5' };
    KubeProxyIpvs.sync(world, ns, [servicePort({ endpoints: [a, b] })], config);
    const svc = ns.ipvs!.find('TCP', '10.43.0.20' as Ipv4, 80)!.service;
    const toA = svc.dests.find((d) => d.addr === a.ip)!;
    toA.activeConns = 1;
    KubeProxyIpvs.sync(world, ns, [servicePort({ endpoints: [b] })], config);
    expect(virtualServers(ns)).toEqual(['TCP 10.43.0.20:80 rr -> 10.42.1.5:8080 Masq 0 -> 10.42.2.5:8080 Masq 1']);
    toA.activeConns = 0;
    KubeProxyIpvs.sync(world, ns, [servicePort({ endpoints: [b] })], config);
    expect(virtualServers(ns)).toEqual(['TCP 10.43.0.20:80 rr -> 10.42.2.5:8080 Masq 1']);
  });

  it('rejects a scheduler the kernel has no module for', () => {
    const { world, ns } = node();
    const r = KubeProxyIpvs.sync(world, ns, [servicePort()], { ...config, scheduler: 'bogus' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^can't use the IPVS proxier: .*"bogus".*Scheduler or persistence engine not found/);
    expect(ns.ipvs).toBeUndefined();
  });

  it('the plan carries NodePort set entries per protocol and the LOCAL-policy sets', () => {
    const plan = planIpvsSync(
      [servicePort({ nodePort: 30080, externalTrafficPolicy: 'Local' }), servicePort({ name: 'dns', protocol: 'UDP', clusterIP: '10.43.0.10', port: 53, nodePort: 30053 })],
      config,
      ['192.168.0.10'],
    );
    expect([...plan.sets.get('KUBE-NODE-PORT-TCP')!]).toEqual(['30080']);
    expect([...plan.sets.get('KUBE-NODE-PORT-LOCAL-TCP')!]).toEqual(['30080']);
    expect([...plan.sets.get('KUBE-NODE-PORT-UDP')!]).toEqual(['30053']);
    expect(plan.payload).toContain('-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port with externalTrafficPolicy=local" -m set --match-set KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN');
    expect(plan.payload.indexOf('KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN')).toBeLessThan(plan.payload.indexOf('KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ'));
  });
});

describe('seed §5: the iptables rule count does not grow with the number of services', () => {
  const load = (services: number) => {
    const yaml = generateClusterYaml({ nodes: 2, podsPerNode: 2, services, endpointsPerService: 2, proxy: 'ipvs' });
    const c = loadScenario({ cluster: yaml, modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    return c.value.nodes.get('master')!;
  };

  it('2 services and 2,000 services give the same `iptables -t nat -S` and `iptables -S`', () => {
    const small = load(2);
    const big = load(2000);
    expect(nat(big).length).toBe(nat(small).length);
    expect(filter(big).length).toBe(filter(small).length);
    expect(big.ipsets.get('KUBE-CLUSTER-IP')!.entries.size).toBe(2000);
    expect(big.ipvs!.services.filter((s) => s.port === 80)).toHaveLength(2000);
    expect(big.dev(KUBE_IPVS0)!.addrs).toHaveLength(2000);
  });
});

describe('the kube-proxy ConfigMap scheduler', () => {
  it('an unknown ipvs.scheduler is a clear error from the cluster file', () => {
    const yaml = SEED_CLUSTER_YAML.replace('mode: iptables', 'mode: ipvs').replace('scheduler: rr', 'scheduler: fancy');
    const r = parseCluster(yaml);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain('"fancy" is not one of rr, wrr, lc, sh, dh, mh');
      expect(r.error.where).toContain('ipvs.scheduler');
    }
  });

  it('the ConfigMap scheduler is used when the modes do not pick one', () => {
    const yaml = SEED_CLUSTER_YAML.replace('mode: iptables', 'mode: ipvs').replace('scheduler: rr', 'scheduler: lc');
    const c = loadScenario({ cluster: yaml, modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    expect(c.value.nodes.get('master')!.ipvs!.services.every((s) => s.scheduler === 'lc')).toBe(true);
  });
});
