import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../api.ts';
import { SEED_CLUSTER_YAML } from '../../scenarios/seed-cluster.ts';
import { parseCluster } from '../spec.ts';
import { MAX_CLUSTER_CHARS } from './decode.ts';

/**
 * Malformed and hostile cluster files (issue 9's 20+ and issue 13's "accepted silently" list):
 * each is refused with one message naming the object, the field and the value — or, where
 * Kubernetes allows it, works — and none throws or hangs.
 */

const seed = (from: string, to: string): string => {
  if (!SEED_CLUSTER_YAML.includes(from)) throw new Error(`the seed has no ${from}`);
  return SEED_CLUSTER_YAML.replace(from, to);
};
const withoutServiceCidr = (text: string): string => text.replace(/- apiVersion: networking\.k8s\.io\/v1\n  kind: ServiceCIDR\n(?:  .*\n)*/, '');
/** the seed plus objects appended to its items */
const plus = (yaml: string) => `${SEED_CLUSTER_YAML}${yaml}`;

function refusal(text: string): string {
  const r = parseCluster(text);
  if (r.ok) throw new Error('expected the file to be refused');
  return `${r.error.where}: ${r.error.message}`;
}

const CASES: [string, string, string | RegExp][] = [
  // shapes and types
  ['an empty file', '', 'cluster file: is empty: expected what `kubectl get … -o yaml` or `-o json` prints'],
  ['a YAML scalar', 'hello\n', /document \(line 1\): must be a Kubernetes object .*got the string "hello"/],
  ['a list of numbers', '[1, 2]', /\[0\] \(line 1\): must be a Kubernetes object/],
  ['items that is not a list', 'kind: List\nitems: {a: 1}\n', 'document (line 2): .items must be a list, got a map'.replace('a map', 'object [object Object]')],
  ['kind: 123', 'apiVersion: v1\nkind: 123\nmetadata: {name: x}\n', 'object document .kind (line 2): Invalid value: 123: must be a string, e.g. Pod'],
  ['no kind', 'apiVersion: v1\nmetadata: {name: x}\n', /object document \.kind.*Required value: kind not set/],
  ['a podCIDR that is a number', seed('spec: {podCIDR: 10.42.1.0/24, podCIDRs: [10.42.1.0/24]}', 'spec: {podCIDR: 42}'), /Node node1 \.spec\.podCIDR \(line \d+\): "42" is not an address with a prefix length/],
  ['a containerPort that is a string', seed('ports: [{containerPort: 80, protocol: TCP}]', 'ports: [{containerPort: eighty}]'), /Pod default\/nginx-test-7646687cc4-n8s9s \.spec\.containers\[0\]\.ports\[0\]\.containerPort \(line \d+\): must be an integer, got "eighty"/],
  ['unparseable YAML', 'kind: List\nitems: [\n', /cluster file \(line 3\): is not valid YAML/],
  ['unparseable JSON', '{"kind": "List", "items": [}', /cluster file \(line 1\): is not valid JSON/],
  // missing and inconsistent
  ['a node without podCIDR', seed('spec: {podCIDR: 10.42.1.0/24, podCIDRs: [10.42.1.0/24]}', 'spec: {}'), /Node node1 \.spec\.podCIDR \(line \d+\): Required value: the node has no pod subnet; flannel \(--kube-subnet-mgr\) waits/],
  ['overlapping pod CIDRs', seed('spec: {podCIDR: 10.42.2.0/24, podCIDRs: [10.42.2.0/24]}', 'spec: {podCIDR: 10.42.0.0/23}'), 'Node master .spec.podCIDR (line 50): 10.42.0.0/24 overlaps node node2\'s 10.42.0.0/23'],
  ['a podCIDR with host bits', seed('spec: {podCIDR: 10.42.2.0/24, podCIDRs: [10.42.2.0/24]}', 'spec: {podCIDR: 10.42.2.7/24}'), 'Node node2 .spec.podCIDR (line 78): "10.42.2.7/24" has host bits set; the subnet is 10.42.2.0/24'],
  ['a duplicate pod IP', seed('podIP: 10.42.1.9', 'podIP: 10.42.1.6'), /Pod default\/nginx-test-7646687cc4-5kqbd \.status\.podIP \(line \d+\): IP 10\.42\.1\.6 is already used by Pod default\/nginx-test-7646687cc4-z8xnq/],
  ['a pod on an unknown node', seed('nodeName: node2', 'nodeName: node9'), /\.spec\.nodeName \(line \d+\): no Node named "node9"/],
  ['a pod IP on the broadcast address', seed('podIP: 10.42.1.9', 'podIP: 10.42.1.255'), /\.status\.podIP \(line \d+\): 10\.42\.1\.255 is the broadcast address of 10\.42\.1\.0\/24; host-local hands out 10\.42\.1\.2-10\.42\.1\.254/],
  ['the same Service twice', plus('- {apiVersion: v1, kind: Service, metadata: {name: nginx-test, namespace: default}, spec: {clusterIP: 10.43.9.9, ports: [{port: 80}]}}\n'), /Service default\/nginx-test \.metadata\.name \(line \d+\): Service default\/nginx-test is defined twice \(first at line \d+\)/],
  ['the same Network twice', plus('- {apiVersion: kube-packet-lab.dev/v1, kind: Network, metadata: {name: lan}, spec: {cidr: 10.9.0.0/24}}\n'), /Network lan \.metadata\.name.*Network lan is defined twice/],
  ['the same EndpointSlice twice', plus('- {apiVersion: discovery.k8s.io/v1, kind: EndpointSlice, metadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}, endpoints: []}\n'), /EndpointSlice default\/kubernetes \.metadata\.name.*defined twice/],
  // values the API server refuses
  ['sessionAffinityConfig timeout -1', seed('sessionAffinity: None', 'sessionAffinity: ClientIP\n    sessionAffinityConfig: {clientIP: {timeoutSeconds: -1}}'), /Service default\/nginx-test \.spec\.sessionAffinityConfig\.clientIP\.timeoutSeconds \(line \d+\): Invalid value: -1: must be greater than 0 and less than 86400/],
  ['sessionAffinityConfig timeout 1e15', seed('sessionAffinity: None', 'sessionAffinity: ClientIP\n    sessionAffinityConfig: {clientIP: {timeoutSeconds: 1e15}}'), /timeoutSeconds \(line \d+\): Invalid value: 1000000000000000: must be greater than 0 and less than 86400/],
  ['a 100k-character name', seed('name: nginx-test\n    namespace: default\n    labels: {app: nginx-test}', `name: ${'a'.repeat(100000)}\n    namespace: default\n    labels: {app: nginx-test}`), /\.metadata\.name \(line \d+\): Invalid value: "a{100}… \(100000 characters\)": must be no more than 63 characters$/],
  ['targetPort 0', seed('targetPort: 80, nodePort', 'targetPort: 0, nodePort'), /\.spec\.ports\[0\]\.targetPort \(line \d+\): Invalid value: 0: must be between 1 and 65535, inclusive/],
  ['targetPort 70000', seed('targetPort: 80, nodePort', 'targetPort: 70000, nodePort'), /targetPort \(line \d+\): Invalid value: 70000: must be between 1 and 65535, inclusive/],
  ['containerPort 1e10', seed('ports: [{containerPort: 80, protocol: TCP}]', 'ports: [{containerPort: 1e10, protocol: TCP}]'), /containerPort \(line \d+\): Invalid value: 10000000000: must be between 1 and 65535, inclusive/],
  ['containerPort -1', seed('ports: [{containerPort: 80, protocol: TCP}]', 'ports: [{containerPort: -1, protocol: TCP}]'), /containerPort \(line \d+\): Invalid value: -1: must be between 1 and 65535, inclusive/],
  ['VNI -1', seed('"Type": "vxlan"', '"Type": "vxlan", "VNI": -1'), /net-conf\.json \.Backend\.VNI \(line \d+\): -1 is not a VXLAN Network Identifier \(0-16777215, 24 bits\)/],
  ['VNI 1e11', seed('"Type": "vxlan"', '"Type": "vxlan", "VNI": 100000000000'), /100000000000 is not a VXLAN Network Identifier/],
  ['VXLAN port 70000', seed('"Type": "vxlan"', '"Type": "vxlan", "Port": 70000'), /Backend\.Port \(line \d+\): 70000 is not a UDP port \(0 for the kernel's default 8472, else 1-65535\)/],
  ['nested labels', seed('labels: {app: nginx-test}\n  spec:\n    type: NodePort', 'labels: {app: {name: nginx-test}}\n  spec:\n    type: NodePort'), /Service default\/nginx-test \.metadata\.labels\[app\] \(line \d+\): Invalid value: a map: must be a string/],
  ['duplicate VTEP MACs', seed('"VtepMAC":"ee:87:b2:4a:fd:62"', '"VtepMAC":"62:c8:a9:ce:ca:4e"'), /Node node2 \.metadata\.annotations\[flannel\.alpha\.coreos\.com\/backend-data\] \(line \d+\): VtepMAC 62:c8:a9:ce:ca:4e is already node node1's/],
  ['a broadcast VTEP MAC', seed('"VtepMAC":"ee:87:b2:4a:fd:62"', '"VtepMAC":"ff:ff:ff:ff:ff:ff"'), /Invalid value: "ff:ff:ff:ff:ff:ff": VtepMAC is the broadcast address; a VTEP needs a unicast MAC/],
  ['clusterIP 0.0.0.0', seed('clusterIP: 10.43.6.58', 'clusterIP: 0.0.0.0'), /\.spec\.clusterIP \(line \d+\): Invalid value: "0\.0\.0\.0": may not be unspecified/],
  ['clusterIP 255.255.255.255', seed('clusterIP: 10.43.6.58', 'clusterIP: 255.255.255.255'), /Invalid value: "255\.255\.255\.255": may not be the limited broadcast address/],
  ['clusterIP 127.0.0.1', seed('clusterIP: 10.43.6.58', 'clusterIP: 127.0.0.1'), /Invalid value: "127\.0\.0\.1": may not be in the loopback range/],
  ['clusterIP 224.0.0.1', seed('clusterIP: 10.43.6.58', 'clusterIP: 224.0.0.1'), /Invalid value: "224\.0\.0\.1": may not be in the link-local multicast range/],
  // (without the ServiceCIDR object the allocator's range check cannot refuse them first)
  ['clusterIP inside a podCIDR', withoutServiceCidr(seed('clusterIP: 10.43.6.58', 'clusterIP: 10.42.1.77')), /Invalid value: "10\.42\.1\.77": is inside the pod network 10\.42\.0\.0\/16 \(node node1's podCIDR 10\.42\.1\.0\/24\)/],
  ['clusterIP on the LAN', withoutServiceCidr(seed('clusterIP: 10.43.6.58', 'clusterIP: 192.168.205.77')), /Invalid value: "192\.168\.205\.77": is on the LAN 192\.168\.205\.0\/24 \(Network lan\)/],
  ['a host address that is its network address', seed('address: 192.168.205.100/24', 'address: 192.168.205.0/24'), /Host client \.spec\.interfaces\[0\]\.address \(line \d+\): 192\.168\.205\.0 is the network address of 192\.168\.205\.0\/24, not a host's/],
  ['an off-link gateway', seed('    gateway: 192.168.205.1\n', '    gateway: 10.9.9.9\n'), /Host client \.spec\.gateway \(line \d+\): 10\.9\.9\.9 is not on any of the host's subnets \(ip route add default via 10\.9\.9\.9: "Error: Nexthop has invalid gateway\."\)/],
  ['a Host named like a Node', seed('metadata: {name: client}', 'metadata: {name: node1}'), /Host node1 \.metadata\.name.*"node1" is already a Node's name/],
  ['two Hosts with one name', seed('metadata: {name: example}', 'metadata: {name: client}'), /Host client \.metadata\.name \(line \d+\): Host client is defined twice/],
  ['two eth0 on one Host', seed('- {name: eth1, network: wan, address: 203.0.113.1/24}', '- {name: eth0, network: wan, address: 203.0.113.1/24}'), /Host gateway \.spec\.interfaces\[1\]\.name \(line \d+\): a second interface eth0 on one host \(ip link add eth0: RTNETLINK answers: File exists\)/],
  ['10 MB of noise', `${'#'.repeat(20)}\n${'@%!'.repeat(3_500_000)}`, /cluster file \(line 2\): is not valid YAML/],
  ['JSON nested a million deep', '['.repeat(1_000_000), /cluster file.*is not valid JSON/],
  ['a YAML alias bomb', `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`, /is not valid YAML: .*[Ee]xcessive alias count/],
  ['a file over the size limit', `# ${'x'.repeat(MAX_CLUSTER_CHARS)}`, /cluster file: is 50\.0 MB; the limit is 50 MB/],
];

describe('hostile and malformed cluster files', () => {
  for (const [name, text, want] of CASES) {
    it(name, () => {
      const got = refusal(text);
      if (typeof want === 'string') expect(got).toBe(want);
      else expect(got).toMatch(want);
    });
  }

  it('lists every problem of a file, each with its object, field and line', () => {
    const r = parseCluster(seed('clusterIP: 10.43.6.58', 'clusterIP: 127.0.0.1').replace('podIP: 10.42.1.9', 'podIP: 10.42.1.255'));
    if (r.ok) throw new Error('expected a refusal');
    expect(r.error.problems!.map((p) => `${p.object} ${p.field} ${p.line}`)).toEqual(['Pod default/nginx-test-7646687cc4-z8xnq status.podIP 108', 'Service default/nginx-test spec.clusterIP 164']);
  });

  it('a VXLAN Port 0 is the kernel default 8472, said in a note', () => {
    const r = parseCluster(seed('"Type": "vxlan"', '"Type": "vxlan", "Port": 0'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.flannel.port).toBe(8472);
    expect(r.value.notes).toContain("flannel vxlan Port 0 means the kernel's default: UDP 8472");
  });

  it('labels keyed __proto__ or constructor stay plain data', () => {
    const r = parseCluster(seed('labels: {app: nginx-test, pod-template-hash: 7646687cc4}', 'labels: {app: nginx-test, pod-template-hash: 7646687cc4, __proto__: x, constructor: y}'));
    expect(r.ok ? '' : r.error.message).toMatch(/__proto__|name part/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('Kubernetes keys pods by namespace/name', () => {
  const twin = plus(`- apiVersion: v1
  kind: Pod
  metadata: {name: nginx-test-7646687cc4-n8s9s, namespace: staging, labels: {app: other}}
  spec: {nodeName: node2, containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
  status: {phase: Running, podIP: 10.42.2.40}
- apiVersion: v1
  kind: Pod
  metadata: {name: node1, namespace: default}
  spec: {nodeName: node2, containers: [{name: c, image: busybox}]}
  status: {phase: Running, podIP: 10.42.2.41}
`);
  const c = loadScenario({ cluster: twin, modes: {}, seed: 1, before: [] });

  it('two pods of one name in different namespaces both run, each in its own namespace', () => {
    if (!c.ok) throw new Error(c.error.message);
    expect(c.value.pods.get('default/nginx-test-7646687cc4-n8s9s')!.host).toBe('master');
    expect(c.value.pods.get('staging/nginx-test-7646687cc4-n8s9s')!.host).toBe('node2');
    expect(c.value.pods.get('staging/nginx-test-7646687cc4-n8s9s')!.name).toBe('staging/nginx-test-7646687cc4-n8s9s');
  });

  it('a name that means two things is refused with the ways to say which', async () => {
    const { traceFlow } = await import('../flows.ts');
    if (!c.ok) throw new Error(c.error.message);
    const ambiguous = traceFlow(c.value, { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    expect(ambiguous.ok ? '' : ambiguous.error.message).toBe('"nginx-test-7646687cc4-n8s9s" is ambiguous: pod default/nginx-test-7646687cc4-n8s9s, pod staging/nginx-test-7646687cc4-n8s9s; say default/nginx-test-7646687cc4-n8s9s or staging/nginx-test-7646687cc4-n8s9s');
    const node = traceFlow(c.value, { from: 'node1', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    expect(node.ok ? '' : node.error.message).toBe('"node1" is ambiguous: pod default/node1, node node1; say default/node1 or node/node1');
    const named = traceFlow(c.value, { from: 'staging/nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    expect(named.ok && named.value.verdict).toBe('delivered');
    const asNode = traceFlow(c.value, { from: 'node/node1', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' });
    expect(asNode.ok && asNode.value.events[0]!.host).toBe('node1');
  });
});
