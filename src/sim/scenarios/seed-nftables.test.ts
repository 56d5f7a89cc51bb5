import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { Modes } from '../api-types.ts';
import { execCommand } from '../cli/exec.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';
import { ip, N8S9S, nodePort, run, sh, tcp, toService } from './testing.ts';

/**
 * The seed's Service flows with kube-proxy in nftables mode: the same packets, delivered to the
 * same endpoints and masqueraded to the same address as in iptables mode, but dispatched by one
 * verdict-map lookup and balanced by numgen instead of a chain of statistic rules.
 */

const SVC = 'T2SAD64M-default/nginx-test/tcp/80-80';

function cluster(modes: Modes = { proxy: 'nftables' }, yaml?: string, seed = 1): Cluster {
  const c = loadScenario({ ...(yaml ? { cluster: yaml } : { preset: 'seed' }), modes: { backend: 'vxlan', ...modes }, seed, before: [] });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

const last = (t: Trace, packetId: number) => t.events.filter((e) => e.packetId === packetId).at(-1)!;
const steps = (t: Trace, host: string, hook: string) =>
  t.events.filter((e) => e.packetId === 0 && e.host === host && e.hook === hook && e.kind === 'rule').map((e) => `${e.ref!.chain}: ${e.verdict}`);

describe('seed §3b in nftables mode: pod → ClusterIP', () => {
  const c = cluster();
  const t = run(c, toService);

  it('finds the service with one lookup in @service-ips and the endpoint with numgen, then DNATs', () => {
    const pre = steps(t, 'master', 'PREROUTING');
    expect(pre).toContain('nat-prerouting: jump services');
    expect(pre).toContain(`services: goto service-${SVC}`);
    expect(pre.find((s) => s.startsWith(`service-${SVC}:`))).toMatch(/goto endpoint-\w{8}-default\/nginx-test\/tcp\/80-80__10\.42\.[12]\.6\/80$/);
    expect(pre.at(-1)).toMatch(/^endpoint-.*: dnat to 10\.42\.[12]\.6:80$/);
  });

  it('shows the map element that matched and the numgen draw', () => {
    const lookup = t.events.find((e) => e.ref?.chain === 'services' && e.kind === 'rule')!;
    expect(lookup.ref).toMatchObject({ table: 'nftables', nftTable: 'ip kube-proxy', text: 'ip daddr . meta l4proto . th dport vmap @service-ips', element: `10.43.6.58 . tcp . 80 : goto service-${SVC}` });
    const balance = t.events.find((e) => e.ref?.chain === `service-${SVC}` && e.kind === 'rule')!;
    expect(balance.ref!.element).toMatch(/^[01] : goto endpoint-/);
    expect(balance.explanation).toMatch(/numgen drew [01]/);
    // "why this endpoint" reads it: the draw, out of how many, and the element it picked
    expect(balance.decision).toMatch(/^service-\S+: numgen random mod 2 drew ([01]) \(each of the 2 values equally likely\) → \1 : goto endpoint-/);
  });

  it('runs filter-prerouting-pre-dnat (-110) before nat-prerouting (dstnat) and NAT before filter-forward sees the packet', () => {
    const master = t.events.filter((e) => e.packetId === 0 && e.host === 'master');
    const idx = (pred: (e: TraceEvent) => boolean) => master.findIndex(pred);
    const preDnat = idx((e) => e.ref?.chain === 'filter-prerouting-pre-dnat');
    const natPre = idx((e) => e.ref?.chain === 'nat-prerouting');
    const dnat = idx((e) => e.kind === 'nat' && e.hook === 'PREROUTING');
    const fwd = idx((e) => e.ref?.chain === 'filter-forward');
    expect(preDnat).toBeGreaterThanOrEqual(0);
    expect(preDnat < natPre && natPre < dnat && dnat < fwd).toBe(true);
    expect(ip(master[fwd]!).dst).toMatch(/^10\.42\.[12]\.6$/);
  });

  it('the SYN-ACK reaches n8s9s from 10.43.6.58:80, un-DNATed by conntrack', () => {
    const d = last(t, 1);
    expect([d.netns, ip(d).src, tcp(d).srcport, ip(d).dst]).toEqual([N8S9S, '10.43.6.58', 80, '10.42.0.65']);
  });
});

describe('seed §4b in nftables mode: client → NodePort 32506', () => {
  const c = cluster();
  const t = run(c, nodePort);
  const ipt = run(cluster({ proxy: 'iptables' }), nodePort);

  it('looks the NodePort up in @service-nodeports on the node\'s own IP, marks it and goes on to the service chain', () => {
    const pre = steps(t, 'master', 'PREROUTING');
    expect(pre).toContain(`services: goto external-${SVC}`);
    expect(pre).toContain(`external-${SVC}: jump mark-for-masquerade`);
    expect(pre).toContain('mark-for-masquerade: meta mark set 0x00004000');
    expect(pre).toContain(`external-${SVC}: goto service-${SVC}`);
  });

  it('masquerades to the same address iptables mode does (and clears the mark first)', () => {
    const post = steps(t, 'master', 'POSTROUTING');
    expect(post.slice(0, 3)).toEqual(['nat-postrouting: jump masquerading', 'masquerading: meta mark set 0x00000000', 'masquerading: masquerade fully-random']);
    const masq = (x: Trace) => x.events.find((e) => e.packetId === 0 && e.host === 'master' && e.kind === 'nat' && e.hook === 'POSTROUTING')!;
    expect(masq(t).changed.find((ch) => ch.field === 'src')).toMatchObject({ from: '192.168.205.100' });
    expect(ip(masq(t)).src).toBe(ip(masq(ipt)).src);
    // fully-random: the source port is drawn afresh, as the real kernel did in the conformance run
    // (the server in the pod saw another port than the client's)
    const sent = t.events.find((e) => e.packetId === 0 && e.kind === 'send')!;
    expect(tcp(masq(t)).srcport).not.toBe(tcp(sent).srcport);
  });

  it('the reply reaches the client from 192.168.205.4:32506', () => {
    const d = last(t, 1);
    expect([d.host, ip(d).src, tcp(d).srcport, ip(d).dst]).toEqual(['client', '192.168.205.4', 32506, '192.168.205.100']);
  });

  it('does not take the NodePort on an address that is not the node\'s primary IP (nodePortAddresses: primary)', () => {
    // 10.42.0.1 is master's cni0 address: local, but not in @nodeport-ips
    const other = run(c, { from: 'client', to: '10.42.0.1:32506', proto: 'tcp', kind: 'connect' });
    expect(other.events.some((e) => e.kind === 'nat' && e.hook === 'PREROUTING')).toBe(false);
  });
});

describe('nftables mode: what else is on the node', () => {
  const c = cluster();

  it('iptables-save shows flannel\'s chains only: kube-proxy wrote nothing to iptables', () => {
    const save = sh(c, 'master', 'iptables-save');
    expect(save).toContain('FLANNEL-POSTRTG');
    expect(save).not.toContain('KUBE-');
  });

  it('with flannel\'s EnableNFTables the iptables tables are empty and nft lists both tables', () => {
    const nftFlannel = cluster({ proxy: 'nftables' }, SEED_CLUSTER_YAML.replace('"EnableNFTables": false', '"EnableNFTables": true'));
    expect(sh(nftFlannel, 'master', 'iptables-save')).not.toContain('FLANNEL');
    expect(sh(nftFlannel, 'master', 'nft list tables')).toBe('table ip flannel-ipv4\ntable ip6 flannel-ipv6\ntable ip kube-proxy\n');
    // pod → outside is still masqueraded, now by flannel's postrtg chain
    const out = run(nftFlannel, { from: N8S9S, to: '192.168.205.100:80', proto: 'tcp', kind: 'connect' });
    expect(steps(out, 'master', 'POSTROUTING')).toContain('postrtg: masquerade fully-random');
    // with no iptables rule left, nf_tables' ct and nat expressions are what keep conntrack on:
    // the ClusterIP is DNATed and the reply translated back
    const svc = run(nftFlannel, { from: N8S9S, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' });
    expect(svc.verdict).toBe('delivered');
    expect(sh(nftFlannel, 'master', 'conntrack -L')).toMatch(/dst=10\.43\.6\.58 sport=\d+ dport=80 src=10\.42\.[12]\.6 dst=10\.42\.0\.65/);
  });

  it('nft -a prints rule handles, and nft add edits the ruleset', () => {
    expect(sh(c, 'master', 'nft -a list chain ip kube-proxy mark-for-masquerade')).toMatch(/meta mark set meta mark \| 0x00004000 # handle \d+/);
    const e = execCommand(c, 'master', 'nft add rule ip kube-proxy filter-input tcp dport 22 drop');
    expect(e.ok && e.value.mutates).toBe(true);
    expect(sh(c, 'master', 'nft list chain ip kube-proxy filter-input')).toContain('tcp dport 22 drop');
    const bad = execCommand(c, 'master', 'nft add rule ip kube-proxy nope accept');
    expect(bad.ok ? '' : bad.error.message).toContain('Error: No such file or directory');
  });
});

describe('nftables mode: affinity, traffic policy, no endpoints', () => {
  const variant = (from: string, to: string, seed = 3) => {
    expect(SEED_CLUSTER_YAML).toContain(from);
    return cluster({ proxy: 'nftables' }, SEED_CLUSTER_YAML.replace(from, to), seed);
  };

  it('sessionAffinity ClientIP: the endpoint chain fills an affinity set and later connections follow it', () => {
    const c = variant('sessionAffinity: None', 'sessionAffinity: ClientIP');
    const reached = new Set<string>();
    for (let i = 0; i < 12; i++) reached.add(ip(last(run(c, toService), 0)).dst);
    expect(reached.size).toBe(1);
    expect(sh(c, 'master', 'nft list ruleset')).toMatch(/set affinity-\w{8}-default\/nginx-test\/tcp\/80-80__10\.42\.\d\.6\/80 \{\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 3h\n\t\telements = \{ 10\.42\.0\.65 expires /);
  });

  it('externalTrafficPolicy Local: master has no local endpoint, so @no-endpoint-nodeports drops the client', () => {
    const c = variant('externalTrafficPolicy: Cluster', 'externalTrafficPolicy: Local');
    const t = run(c, nodePort);
    expect(t.verdict).toBe('dropped');
    expect(last(t, 0)).toMatchObject({ host: 'master', kind: 'drop', reason: 'NETFILTER_DROP' });
    expect(t.events.find((e) => e.ref?.chain === 'nodeport-endpoints-check' && e.kind === 'rule')!.ref!.element).toBe('tcp . 32506 comment "default/nginx-test:80-80" : drop');
  });

  it('externalTrafficPolicy Local: node1 serves it from its local- chain and keeps the client address', () => {
    const c = variant('externalTrafficPolicy: Cluster', 'externalTrafficPolicy: Local');
    const t = run(c, { ...nodePort, to: '192.168.205.3:32506' });
    expect(steps(t, 'node1', 'PREROUTING')).toContain(`external-${SVC}: goto local-${SVC}`);
    const at = last(t, 0);
    expect([at.netns, ip(at).src]).toEqual(['nginx-test-7646687cc4-5kqbd', '192.168.205.100']);
  });

  it('a service without endpoints is rejected through reject-chain (ICMP port unreachable)', () => {
    const c = variant('- apiVersion: v1\n  kind: Service\n  metadata:\n    name: nginx-test', '- apiVersion: v1\n  kind: Service\n  metadata: {name: empty, namespace: default}\n  spec: {type: ClusterIP, clusterIP: 10.43.9.9, ports: [{name: http, port: 80, targetPort: 80, protocol: TCP}]}\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: nginx-test');
    const t = run(c, { ...toService, to: '10.43.9.9:80' });
    expect(t.verdict).toBe('dropped');
    expect(last(t, 0).reason).toBe('NETFILTER_REJECT');
    expect(t.events.some((e) => e.ref?.chain === 'reject-chain')).toBe(true);
    expect(t.packets.some((p) => p.role === 'icmp-error' && p.verdict === 'delivered')).toBe(true);
    // a port the ClusterIP does not serve is rejected by cluster-ips-check; an unallocated ClusterIP is dropped
    expect(last(run(c, { ...toService, to: '10.43.6.58:81' }), 0).reason).toBe('NETFILTER_REJECT');
    expect(last(run(c, { ...toService, to: '10.43.200.1:80' }), 0).reason).toBe('NETFILTER_DROP');
  });
});
