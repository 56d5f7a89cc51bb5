import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { traceFlow } from '../k8s/flows.ts';
import type { Trace } from '../trace/event.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';
import { ip, N8S9S, nodePort, run, sh, tcp, toService } from './testing.ts';

function cluster(before: string[] = [], seed = 1): Cluster {
  const c = loadScenario({ preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed, before });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

const ruleEvents = (t: Trace, host: string, packetId = 0) => t.events.filter((e) => e.packetId === packetId && e.host === host && e.kind === 'rule');
const delivered = (t: Trace, packetId: number) => t.events.filter((e) => e.packetId === packetId).at(-1)!;

describe('seed §3b: pod → ClusterIP in iptables mode', () => {
  const c = cluster();
  const t = run(c, toService);

  it('walks PREROUTING → KUBE-SERVICES → KUBE-SVC-7CWUT4JBGBRVUN2L → KUBE-SEP-… → DNAT on master', () => {
    const chains = ruleEvents(t, 'master').filter((e) => e.hook === 'PREROUTING').map((e) => `${e.ref!.chain}: ${e.verdict}`);
    expect(chains[0]).toBe('PREROUTING: jump KUBE-SERVICES');
    expect(chains[1]).toBe('KUBE-SERVICES: jump KUBE-SVC-7CWUT4JBGBRVUN2L');
    expect(chains[2]).toMatch(/^KUBE-SVC-7CWUT4JBGBRVUN2L: jump KUBE-SEP-(U2YYZT2C3O6VM4EV|GWUIQWA2TNZI4ESX)$/);
    expect(chains[3]).toMatch(/^KUBE-SEP-(U2YYZT2C3O6VM4EV|GWUIQWA2TNZI4ESX): DNAT to:10\.42\.[12]\.6:80$/);
  });

  it('rewrites the destination to the endpoint, then routes the new destination and forwards it', () => {
    const req = t.events.filter((e) => e.packetId === 0 && e.host === 'master');
    const nat = req.find((e) => e.kind === 'nat')!;
    expect(nat.changed.map((ch) => `${ch.field}:${ch.from}→${ch.to}`)).toContain(`dst:10.43.6.58→${ip(nat).dst}`);
    const after = req.slice(req.indexOf(nat));
    expect(after.find((e) => e.kind === 'route')!.verdict).toBe('via 10.42.' + ip(nat).dst.split('.')[2] + '.0 dev flannel.1 onlink');
    expect(after.some((e) => e.hook === 'FORWARD')).toBe(true);
    expect(after.some((e) => e.hook === 'POSTROUTING')).toBe(true);
    expect(after.some((e) => e.hook === 'INPUT')).toBe(false);
  });

  it('the SYN-ACK reaches n8s9s from 10.43.6.58:80, the address it dialled', () => {
    const d = delivered(t, 1);
    expect([d.netns, ip(d).src, tcp(d).srcport, ip(d).dst]).toEqual([N8S9S, '10.43.6.58', 80, '10.42.0.65']);
  });

  it('the KUBE-SVC rows of iptables -nvL -t nat count the traced packet', () => {
    const out = sh(c, 'master', 'iptables -nvL -t nat');
    const sep = ip(t.events.find((e) => e.kind === 'nat' && e.host === 'master')!).dst;
    const row = out.split('\n').find((l) => l.includes(`/* default/nginx-test:80-80 -> ${sep}:80 */`))!;
    expect(row.trim().split(/\s+/).slice(0, 2)).toEqual(['1', '60']);
  });

  it('node1 holds the same kube-proxy rules as master, with counters of its own: still [0:0]', () => {
    const svcLines = (host: string, counters: boolean) =>
      sh(c, host, `iptables-save ${counters ? '-c ' : ''}-t nat`).split('\n').filter((l) => l.includes('-A KUBE-SVC-7CWUT4JBGBRVUN2L '));
    expect(svcLines('node1', false)).toEqual(svcLines('master', false));
    expect(svcLines('master', true).filter((l) => l.startsWith('[1:60] '))).toHaveLength(1);
    expect(svcLines('node1', true).every((l) => l.startsWith('[0:0] '))).toBe(true);
  });
});

describe('seed §3b: 1,000 connections split close to 50/50', () => {
  it('reaches both endpoints about equally, and the counters agree', () => {
    const c = cluster([], 7);
    const hits = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const t = run(c, toService);
      const d = delivered(t, 0);
      hits.set(ip(d).dst, (hits.get(ip(d).dst) ?? 0) + 1);
    }
    const a = hits.get('10.42.1.6') ?? 0;
    const b = hits.get('10.42.2.6') ?? 0;
    expect(a + b).toBe(1000);
    expect(Math.abs(a - 500)).toBeLessThan(60);
    const out = sh(c, 'master', 'iptables -nvL KUBE-SEP-U2YYZT2C3O6VM4EV -t nat -x');
    const dnat = out.split('\n').find((l) => l.includes('DNAT'))!;
    expect(Number(dnat.trim().split(/\s+/)[0])).toBe(a);
  });
});

describe('seed §4b: external client → NodePort 32506', () => {
  const c = cluster();
  const t = run(c, nodePort);

  it('follows KUBE-SERVICES → KUBE-NODEPORTS → KUBE-EXT → KUBE-MARK-MASQ, KUBE-SVC → KUBE-SEP → DNAT', () => {
    const chains = ruleEvents(t, 'master').filter((e) => e.hook === 'PREROUTING').map((e) => `${e.ref!.chain}: ${e.verdict}`);
    expect(chains.slice(0, 5)).toEqual([
      'PREROUTING: jump KUBE-SERVICES',
      'KUBE-SERVICES: jump KUBE-NODEPORTS',
      'KUBE-NODEPORTS: jump KUBE-EXT-7CWUT4JBGBRVUN2L',
      'KUBE-EXT-7CWUT4JBGBRVUN2L: jump KUBE-MARK-MASQ',
      'KUBE-MARK-MASQ: MARK set 0x4000',
    ]);
    expect(chains).toContain('KUBE-EXT-7CWUT4JBGBRVUN2L: jump KUBE-SVC-7CWUT4JBGBRVUN2L');
    expect(chains.at(-1)).toMatch(/DNAT to:10\.42\.[12]\.6:80$/);
  });

  it('is masqueraded in POSTROUTING to master\'s address on the way to the endpoint', () => {
    const masq = t.events.find((e) => e.packetId === 0 && e.host === 'master' && e.kind === 'nat' && e.hook === 'POSTROUTING')!;
    expect(masq.changed.find((ch) => ch.field === 'src')).toMatchObject({ from: '192.168.205.100' });
    // the endpoint sees master (via flannel.1 its VTEP address 10.42.0.0) as the client
    const last = delivered(t, 0);
    expect(ip(last).src).not.toBe('192.168.205.100');
  });

  it('the reply reaches the client from 192.168.205.4:32506', () => {
    const d = delivered(t, 1);
    expect([d.host, ip(d).src, tcp(d).srcport, ip(d).dst]).toEqual(['client', '192.168.205.4', 32506, '192.168.205.100']);
  });

  it('counts a macOS SYN (64 bytes) in KUBE-NODEPORTS and KUBE-EXT, as the seed shows', () => {
    const out = sh(c, 'master', 'iptables -nvL -t nat');
    const row = out.split('\n').find((l) => l.includes('KUBE-EXT-7CWUT4JBGBRVUN2L') && l.includes('dpt:32506'))!;
    expect(row.trim().split(/\s+/).slice(0, 2)).toEqual(['1', '64']);
  });
});

describe('host → ClusterIP and pod → outside', () => {
  it('master itself reaches the ClusterIP through nat OUTPUT, and the reply comes from 10.43.6.58:80', () => {
    const c = cluster();
    const t = run(c, { from: 'master', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' });
    expect(ruleEvents(t, 'master').find((e) => e.hook === 'OUTPUT' && e.ref!.chain === 'KUBE-SERVICES')).toBeDefined();
    const d = delivered(t, 1);
    expect([d.host, d.netns, ip(d).src, tcp(d).srcport]).toEqual(['master', 'root', '10.43.6.58', 80]);
  });

  it('a pod reaches a server outside the cluster masqueraded by flannel, and the reply is un-NATed', () => {
    const c = cluster();
    const t = run(c, { from: N8S9S, to: '203.0.113.10:80', proto: 'tcp', kind: 'connect' });
    const atServer = delivered(t, 0);
    expect([atServer.host, ip(atServer).src]).toEqual(['example', '192.168.205.4']);
    expect(ruleEvents(t, 'master').some((e) => e.ref!.chain === 'FLANNEL-POSTRTG' && e.verdict === 'MASQUERADE')).toBe(true);
    const back = delivered(t, 1);
    expect([back.netns, ip(back).src, ip(back).dst]).toEqual([N8S9S, '203.0.113.10', '10.42.0.65']);
  });
});

describe('endpoints follow the objects', () => {
  it('deleting the pod behind 10.42.2.6 re-syncs kube-proxy: every connection goes to 10.42.1.6', () => {
    const c = cluster(['master: kubectl delete pod nginx-test-7646687cc4-w7rlm']);
    expect(sh(c, 'master', 'iptables -t nat -S')).not.toContain('10.42.2.6');
    for (let i = 0; i < 20; i++) expect(ip(delivered(run(c, toService), 0)).dst).toBe('10.42.1.6');
  });

  it('a service with no endpoints is rejected with ICMP port unreachable', () => {
    const c = cluster(['master: kubectl delete pod nginx-test-7646687cc4-w7rlm', 'master: kubectl delete pod nginx-test-7646687cc4-5kqbd']);
    const t = run(c, toService);
    expect(t.verdict).toBe('dropped');
    expect(t.events.find((e) => e.kind === 'rule' && e.verdict?.startsWith('REJECT'))!.ref!.text).toContain('has no endpoints');
    const icmp = delivered(t, 1);
    expect(icmp.netns).toBe(N8S9S);
    expect(icmp.packet.find((l) => l.type === 'icmp')).toMatchObject({ icmp_type: 3, code: 3 });
  });

  it('a bad edit names itself and leaves nothing applied', () => {
    const r = loadScenario({ preset: 'seed', modes: {}, seed: 1, before: ['master: kubectl delete pod nope'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(`${r.error.where}: ${r.error.message}`).toMatch(/before\[0\].*pods "nope" not found/);
  });
});

describe('seed §4c/§5: the same NodePort flow in ipvs mode', () => {
  const c = loadScenario({ preset: 'seed', modes: { proxy: 'ipvs', scheduler: 'rr' }, seed: 1, before: [] });
  if (!c.ok) throw new Error(c.error.message);
  const t = run(c.value, nodePort);

  it('goes PREROUTING (KUBE-MARK-MASQ) → INPUT → IPVS → POSTROUTING MASQUERADE on master', () => {
    const req = t.events.filter((e) => e.packetId === 0 && e.host === 'master');
    const ipvsAt = req.findIndex((e) => e.kind === 'ipvs');
    expect(ipvsAt).toBeGreaterThan(0);
    expect(req.slice(0, ipvsAt).some((e) => e.hook === 'INPUT')).toBe(true);
    expect(req.slice(0, ipvsAt).some((e) => e.hook === 'FORWARD')).toBe(false);
    expect(req.some((e) => e.ref?.chain === 'KUBE-MARK-MASQ')).toBe(true);
    const masq = req.find((e) => e.kind === 'nat' && e.hook === 'POSTROUTING')!;
    expect(masq.changed.find((ch) => ch.field === 'src')).toMatchObject({ from: '192.168.205.100' });
  });

  it('the reply reaches the client from 192.168.205.4:32506', () => {
    const d = delivered(t, 1);
    expect([d.host, ip(d).src, tcp(d).srcport]).toEqual(['client', '192.168.205.4', 32506]);
    expect(t.packets.every((p) => p.verdict === 'delivered')).toBe(true);
  });

  it("every later client segment (the handshake's ACK, the FIN, the last ACK) reaches the endpoint masqueraded as the SYN did: nf_nat keeps applying MASQUERADE's binding to an IPVS connection", () => {
    const atServer = t.packets.filter((p) => p.netns === t.packets[0]!.netns && p.verdict === 'delivered').map((p) => delivered(t, p.packetId));
    expect(atServer.map((e) => [tcp(e).flags, `${ip(e).src}:${tcp(e).srcport}`])).toEqual([0x02, 0x10, 0x11, 0x10].map((f) => [f, `${ip(atServer[0]!).src}:${tcp(atServer[0]!).srcport}`]));
    expect(ip(atServer[0]!).src).not.toBe('192.168.205.100');
  });
});

describe('session affinity and traffic policy, as kube-proxy renders them', () => {
  const variant = (from: string, to: string) => {
    expect(SEED_CLUSTER_YAML).toContain(from);
    const c = loadScenario({ cluster: SEED_CLUSTER_YAML.replace(from, to), modes: {}, seed: 3, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    return c.value;
  };

  it('sessionAffinity ClientIP: every connection from one pod reaches the same endpoint (-m recent)', () => {
    const c = variant('sessionAffinity: None', 'sessionAffinity: ClientIP');
    expect(sh(c, 'master', 'iptables -t nat -S KUBE-SVC-7CWUT4JBGBRVUN2L')).toContain('-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-');
    const reached = new Set<string>();
    for (let i = 0; i < 20; i++) reached.add(ip(delivered(run(c, toService), 0)).dst);
    expect(reached.size).toBe(1);
  });

  it('externalTrafficPolicy Local: master has no local endpoint, so its NodePort drops the client', () => {
    const c = variant('externalTrafficPolicy: Cluster', 'externalTrafficPolicy: Local');
    const t = run(c, nodePort);
    expect(t.verdict).toBe('dropped');
    const last = t.events.filter((e) => e.packetId === 0).at(-1)!;
    expect(last).toMatchObject({ host: 'master', kind: 'drop', reason: 'NETFILTER_DROP' });
    // no local endpoint: no KUBE-SVL chain here, but filter drops the NodePort (proxier.go)
    expect(sh(c, 'master', 'iptables -t nat -S')).not.toContain('KUBE-SVL-');
    expect(sh(c, 'master', 'iptables -S KUBE-EXTERNAL-SERVICES')).toMatch(/"default\/nginx-test:80-80 has no local endpoints".*--dport 32506 -j DROP/);
  });

  it('externalTrafficPolicy Local: node1 has one, serves it, and keeps the client address (no MASQUERADE)', () => {
    const c = variant('externalTrafficPolicy: Cluster', 'externalTrafficPolicy: Local');
    const t = run(c, { ...nodePort, to: '192.168.205.3:32506' });
    expect(t.verdict).toBe('delivered');
    const at = delivered(t, 0);
    expect([at.netns, ip(at).src]).toEqual(['nginx-test-7646687cc4-5kqbd', '192.168.205.100']);
  });
});

describe('pod → ClusterIP with the endpoint on the same node', () => {
  it('is DNATed and stays on the bridge (bridged DNAT: no routing, TTL 64), and the reply comes from the ClusterIP', () => {
    const c = cluster();
    const from = 'nginx-test-7646687cc4-z8xnq'; // node1, beside endpoint 10.42.1.6
    let t: Trace | undefined;
    for (let i = 0; i < 40 && !t; i++) {
      const x = run(c, { ...toService, from });
      if (ip(delivered(x, 0)).dst === '10.42.1.6') t = x;
    }
    expect(t, 'some connection picks the local endpoint').toBeDefined();
    const req = t!.events.filter((e) => e.packetId === 0);
    expect(req.every((e) => e.host === 'node1')).toBe(true);
    expect(req.some((e) => e.kind === 'forward')).toBe(false);
    expect(ip(delivered(t!, 0)).ttl).toBe(64);
    const reply = delivered(t!, 1);
    expect([reply.netns, ip(reply).src, tcp(reply).srcport]).toEqual([from, '10.43.6.58', 80]);
  });
});

describe('ping a ClusterIP: iptables vs ipvs mode', () => {
  const ping = (proxy: 'iptables' | 'ipvs', from = 'nginx-test-7646687cc4-n8s9s') => {
    const c = loadScenario({ preset: 'seed', modes: { proxy }, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    return sh(c.value, from, 'ping -c 1 10.43.6.58');
  };

  it('iptables: no rule matches ICMP, so the packet follows the default route and the gateway answers net unreachable', () => {
    // iputils on a node names the error; busybox in a pod drops it unprinted
    expect(ping('iptables', 'master')).toContain('From 192.168.205.1 icmp_seq=1 Destination Net Unreachable');
    expect(ping('iptables')).toContain('1 packets transmitted, 0 packets received, 100% packet loss');
  });

  it('ipvs: the ClusterIP is local on kube-ipvs0, and KUBE-IPVS-FILTER rejects what is not a service port', () => {
    const c = loadScenario({ preset: 'seed', modes: { proxy: 'ipvs' }, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    const t = traceFlow(c.value, { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58', proto: 'icmp', kind: 'ping' });
    if (!t.ok) throw new Error(t.error.message);
    const back = t.value.events.filter((e) => e.packetId === 1 && e.kind === 'deliver').at(-1)!;
    expect(back.explanation).toBe('ICMP port unreachable from 10.43.6.58 reaches the socket that sent the original packet.');
    expect(ping('ipvs')).toContain('0 packets received');
  });
});
