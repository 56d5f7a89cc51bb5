import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadScenario, simulate } from '../../api.ts';
import { execCommand } from '../../cli/exec.ts';
import { k3sSeedYaml } from '../../scenarios/examples/k3s.ts';
import { kubeadmFlannelJson, kubeadmObjects, multiDocumentYaml } from '../../scenarios/examples/kubeadm.ts';
import type { Json } from '../../scenarios/examples/objects.ts';
import { parseCluster } from '../spec.ts';

const K3S_SEED_YAML = k3sSeedYaml();
const KUBEADM_FLANNEL_JSON = kubeadmFlannelJson();

/** Issue 9's "what must hold": real dumps load as they are, with what was inferred said. */

const KUBEADM_NODES: [string, string][] = [
  ['cp-1', '192.168.56.10'],
  ['worker-1', '192.168.56.11'],
  ['worker-2', '192.168.56.12'],
  ['worker-3', '192.168.56.13'],
];

function sh(cluster: string, target: string, command: string, extra: { lan?: string } = {}): string {
  const c = loadScenario({ cluster, modes: {}, seed: 1, before: [], ...extra });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  const r = execCommand(c.value, target, command);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
}

describe('a kubeadm + flannel dump (kubectl get … -A -o json, managedFields and all)', () => {
  const parsed = parseCluster(KUBEADM_FLANNEL_JSON);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const spec = parsed.value;

  it('has no kube-packet-lab kinds at all', () => {
    expect(KUBEADM_FLANNEL_JSON).not.toMatch(/kube-packet-lab/);
    expect(KUBEADM_FLANNEL_JSON).toContain('"managedFields"');
  });

  it('programs flannel.1 routes to the other nodes: 10.244.N.0/24 via 10.244.N.0 dev flannel.1 onlink', () => {
    const routes = sh(KUBEADM_FLANNEL_JSON, 'worker-1', 'ip route');
    for (const n of [0, 2, 3]) expect(routes).toContain(`10.244.${n}.0/24 via 10.244.${n}.0 dev flannel.1 onlink`);
    expect(routes).toContain('10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1');
  });

  it('delivers a pod → Service connection (web pod → kube-dns over UDP, → web over TCP)', () => {
    const web = spec.pods.find((p) => p.name.startsWith('web-') && p.nodeName === 'worker-1')!;
    for (const flow of [
      { from: web.name, to: '10.96.0.10:53', proto: 'udp' as const, kind: 'connect' as const },
      { from: web.name, to: '10.105.23.198:80', proto: 'tcp' as const, kind: 'connect' as const },
    ]) {
      const r = simulate({ cluster: KUBEADM_FLANNEL_JSON, modes: {}, seed: 1, before: [], flow });
      if (!r.ok) throw new Error(r.error.message);
      expect(r.value.trace.verdict).toBe('delivered');
    }
  });

  it('lists what it inferred: the LAN, its gateway, the client, the modes and where they came from', () => {
    expect(spec.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^LAN 192\.168\.56\.0\/24: inferred from the InternalIPs of cp-1, worker-1, worker-2, worker-3/),
        'gateway 192.168.56.1 on 192.168.56.0/24: inferred (the .1 of the LAN)',
        'external client 192.168.56.100 on 192.168.56.0/24: a free address, for NodePort flows from outside the cluster',
        'kube-proxy mode iptables: from ConfigMap kube-system/kube-proxy (config.conf mode "" — the Linux default)',
        'pod network 10.244.0.0/16: from ConfigMap kube-flannel/kube-flannel-cfg (net-conf.json Network)',
        'service network 10.96.0.0/12: from ConfigMap kube-system/kubeadm-config (networking.serviceSubnet)',
        'skipped 2 DaemonSets, 2 Events: they do not program the network',
        '2 pods are not running (1 Pending, 1 Succeeded): no network namespace, no endpoint',
      ]),
    );
    const r = simulate({ cluster: KUBEADM_FLANNEL_JSON, modes: {}, seed: 1, before: [], flow: { from: 'client', to: '192.168.56.12:30080', proto: 'tcp', kind: 'connect' } });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.clusterNotes).toEqual(expect.arrayContaining([expect.stringMatching(/^LAN 192\.168\.56\.0\/24/)]));
    expect(r.value.trace.verdict).toBe('delivered');
  });

  it('runs hostNetwork pods in their node\'s root namespace and keeps Pending pods out of the network', () => {
    const proxy = spec.pods.filter((p) => p.name.startsWith('kube-proxy-'));
    expect(proxy).toHaveLength(4);
    expect(proxy.every((p) => p.hostNetwork && p.ip === spec.nodes.find((n) => n.name === p.nodeName)!.internalIP)).toBe(true);
    const c = loadScenario({ cluster: KUBEADM_FLANNEL_JSON, modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    expect(c.value.pods.get(`kube-system/${proxy[0]!.name}`)).toBe(c.value.nodes.get(proxy[0]!.nodeName));
    expect(spec.pendingPods.map((p) => `${p.name} ${p.phase}`)).toEqual(['batch-report Pending', expect.stringMatching(/^db-migrate-\w+ Succeeded$/)]);
    expect(sh(KUBEADM_FLANNEL_JSON, 'cp-1', 'kubectl get pods -o wide')).toMatch(/batch-report\s+0\/1\s+Pending\s+0\s+59m\s+<none>\s+<none>/);
  });

  it('resolves a named targetPort (web: targetPort http → containerPort 80) and reads the kubeadm-config service range', () => {
    expect(spec.services.find((s) => s.name === 'web')!.ports[0]!.targetPort).toBe('http');
    expect(spec.serviceCIDR).toBe('10.96.0.0/12');
  });
});

describe('the same objects in other shapes give the same cluster', () => {
  const items = kubeadmObjects({ nodes: KUBEADM_NODES });
  const parsed = (text: string) => {
    const r = parseCluster(text);
    if (!r.ok) throw new Error(`${r.error.where}: ${r.error.message}`);
    return r.value;
  };
  const stripNotes = (spec: ReturnType<typeof parsed>) => ({ ...spec, notes: spec.notes.filter((n) => !/documents|without `---`/.test(n)) });
  const base = stripNotes(parsed(KUBEADM_FLANNEL_JSON));

  it('multi-document YAML', () => {
    expect(stripNotes(parsed(multiDocumentYaml(items)))).toEqual(base);
  });

  it('separate JSON files concatenated (cat nodes.json pods.json …)', () => {
    const half = Math.floor(items.length / 2);
    const text = `${JSON.stringify({ apiVersion: 'v1', items: items.slice(0, half), kind: 'List' }, null, 4)}\n${JSON.stringify({ apiVersion: 'v1', items: items.slice(half), kind: 'List' }, null, 4)}\n`;
    const spec = parsed(text);
    expect(spec.notes).toContain('read 2 JSON documents written one after another');
    expect(stripNotes(spec)).toEqual(base);
  });

  it('separate YAML files concatenated without ---', () => {
    const text = items.map((o) => stringify(o)).join('');
    const spec = parsed(text);
    expect(spec.notes[0]).toMatch(/without `---` were read as separate documents/);
    expect(stripNotes(spec)).toEqual(base);
  });

  it('Endpoints objects stand in when there are no EndpointSlices', () => {
    const svcIps = new Map<string, Json[]>();
    const noSlices = items.filter((o) => o.kind !== 'EndpointSlice');
    for (const o of items.filter((x) => x.kind === 'EndpointSlice')) {
      const svc = ((o.metadata as Json).labels as Json)['kubernetes.io/service-name'] as string;
      svcIps.set(svc, o.endpoints as Json[]);
    }
    const endpoints = [...svcIps].map(([svc, eps]) => ({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc, namespace: svc === 'kube-dns' ? 'kube-system' : 'default' },
      subsets: [{ addresses: eps.map((e) => ({ ip: (e.addresses as string[])[0], ...(e.nodeName ? { nodeName: e.nodeName } : {}) })), ports: svc === 'web' ? [{ port: 80, protocol: 'TCP' }] : svc === 'kubernetes' ? [{ name: 'https', port: 6443, protocol: 'TCP' }] : [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }] }],
    }));
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...noSlices, ...endpoints] });
    const r = parseCluster(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.notes).toContain('no EndpointSlices in the file: read 3 Endpoints objects as the EndpointSlice mirroring controller would');
    expect(sh(text, 'worker-1', 'iptables -t nat -S')).toContain('-m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.3.2:80');
  });
});

describe('the distributions', () => {
  it('k3s: no flannel or kube-proxy ConfigMap; the pod network and backend come from k3s.io/node-args, the NodePort works from the inferred client', () => {
    const r = parseCluster(K3S_SEED_YAML);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.flannel).toEqual({ network: '10.42.0.0/16', backend: 'vxlan', vni: 1, port: 8472, enableNFTables: false });
    expect(r.value.serviceCIDR).toBe('10.43.0.0/16');
    expect(r.value.notes).toEqual(
      expect.arrayContaining([
        "pod network 10.42.0.0/16: from Node master's k3s.io/node-args (--cluster-cidr); no kube-flannel-cfg in the file",
        "flannel backend vxlan: from the nodes' flannel.alpha.coreos.com/backend-type annotation",
        'kube-proxy mode iptables: the default on Linux (no kube-proxy ConfigMap or --proxy-mode in the file)',
      ]),
    );
    const t = simulate({ cluster: K3S_SEED_YAML, modes: {}, seed: 1, before: [], flow: { from: 'client', to: '192.168.205.4:32506', proto: 'tcp', kind: 'connect' } });
    if (!t.ok) throw new Error(t.error.message);
    expect(t.value.trace.verdict).toBe('delivered');
    // the seed's VTEP MAC of node1 came from its annotation
    expect(sh(K3S_SEED_YAML, 'master', 'bridge fdb show dev flannel.1')).toContain('62:c8:a9:ce:ca:4e dst 192.168.205.3 self permanent');
  });

  it('a kube-proxy ConfigMap in ipvs mode gives ipvs, and k3s --kube-proxy-arg proxy-mode=ipvs too', () => {
    const ipvs = kubeadmObjects({ nodes: KUBEADM_NODES.slice(0, 3), proxyMode: 'ipvs' });
    const r = parseCluster(multiDocumentYaml(ipvs));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.kubeProxy.mode).toBe('ipvs');
    expect(sh(multiDocumentYaml(ipvs), 'worker-1', 'ipvsadm -Ln')).toContain('TCP  10.96.0.1:443 rr');
    const k3s = K3S_SEED_YAML.replace('"--flannel-backend","vxlan"', '"--flannel-backend","vxlan","--kube-proxy-arg","proxy-mode=ipvs"');
    const k = parseCluster(k3s);
    if (!k.ok) throw new Error(k.error.message);
    expect(k.value.kubeProxy.mode).toBe('ipvs');
    expect(k.value.notes).toContain("kube-proxy mode ipvs: from Node master's k3s.io/node-args (--kube-proxy-arg proxy-mode=ipvs)");
  });

  it('nodes on two /24s get two segments joined by one router; --lan puts them on one', () => {
    const two = JSON.stringify({ kind: 'List', items: kubeadmObjects({ nodes: [['cp-1', '192.168.10.10'], ['worker-1', '192.168.10.11'], ['worker-2', '192.168.20.21']] }) });
    const r = parseCluster(two);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.networks.map((n) => `${n.name} ${n.cidr} ${n.gateway}`)).toEqual(['lan 192.168.10.0/24 192.168.10.1', 'lan-2 192.168.20.0/24 192.168.20.1']);
    expect(r.value.hosts.find((h) => h.role === 'gateway')!.interfaces.map((i) => i.address)).toEqual(['192.168.10.1', '192.168.20.1']);
    expect(sh(two, 'worker-2', 'ip route')).toContain('default via 192.168.20.1 dev enp0s1');
    const one = parseCluster(two, { lan: '192.168.0.0/16' });
    if (!one.ok) throw new Error(one.error.message);
    expect(one.value.networks.map((n) => `${n.name} ${n.cidr} ${n.gateway}`)).toEqual(['lan 192.168.0.0/16 192.168.0.1']);
    expect(one.value.notes).toContain('LAN 192.168.0.0/16: from --lan');
    expect(sh(two, 'worker-2', 'ip route', { lan: '192.168.0.0/16' })).toContain('192.168.0.0/16 dev enp0s1 proto kernel scope link src 192.168.20.21');
  });

  it('a bad --lan is named', () => {
    const r = parseCluster(KUBEADM_FLANNEL_JSON, { lan: '192.168.56.7/24' });
    expect(r.ok ? '' : `${r.error.where}: ${r.error.message}`).toBe('--lan: "192.168.56.7/24" has host bits set; the subnet is 192.168.56.0/24');
  });

  it('the gateway takes the .254 when a node has the .1', () => {
    const text = JSON.stringify({ kind: 'List', items: kubeadmObjects({ nodes: [['cp-1', '10.1.2.1'], ['worker-1', '10.1.2.2']] }) });
    const r = parseCluster(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.notes).toContain('gateway 10.1.2.254 on 10.1.2.0/24: inferred (the .1 is taken)');
  });
});
