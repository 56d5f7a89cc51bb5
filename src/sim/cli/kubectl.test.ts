import { describe, expect, it } from 'vitest';
import type { Ipv4 } from '../net/addr.ts';
import { parseCluster, type ClusterSpec } from '../k8s/spec.ts';
import { SEED_CLUSTER_YAML } from '../scenarios/seed-cluster.ts';
import type { CommandResult } from './ip.ts';
import { endpointsFromSlices, kubectlCommand, tabwrite } from './kubectl.ts';

function seedSpec(): ClusterSpec {
  const r = parseCluster(SEED_CLUSTER_YAML);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Seed §6's moment: nginx-test is a ClusterIP service in front of n8s9s and z8xnq. */
function section6(): { spec: ClusterSpec; endpoints: Map<string, string[]> } {
  const spec = seedSpec();
  return {
    spec: {
      ...spec,
      services: spec.services.map((s) => (s.name === 'nginx-test' ? { ...s, type: 'ClusterIP' as const, ports: s.ports.map(({ nodePort: _np, ...p }) => p) } : s)),
    },
    endpoints: new Map([
      ['default/nginx-test:80-80', ['10.42.0.65:80', '10.42.1.9:80']],
      ['default/kubernetes:https', ['192.168.205.4:6443']],
    ]),
  };
}

function ok(r: CommandResult): string {
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

// seed §4b, verbatim
const SEED_NODEPORT = `Name:                     nginx-test
Namespace:                default
Labels:                   app=nginx-test
Annotations:              <none>
Selector:                 app=nginx-test
Type:                     NodePort
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       10.43.6.58
IPs:                      10.43.6.58
Port:                     80-80  80/TCP
TargetPort:               80/TCP
NodePort:                 80-80  32506/TCP
Endpoints:                10.42.1.6:80,10.42.2.6:80
Session Affinity:         None
External Traffic Policy:  Cluster
Events:                   <none>
`;

// seed §6a/§6b, verbatim
const SEED_CLUSTERIP = `Name:              nginx-test
Namespace:         default
Labels:            app=nginx-test
Annotations:       <none>
Selector:          app=nginx-test
Type:              ClusterIP
IP Family Policy:  SingleStack
IP Families:       IPv4
IP:                10.43.6.58
IPs:               10.43.6.58
Port:              80-80  80/TCP
TargetPort:        80/TCP
Endpoints:         10.42.0.65:80,10.42.1.9:80
Session Affinity:  None
Events:            <none>
`;

const SEED_PODS_HEADER = 'NAME                          READY   STATUS    RESTARTS      AGE   IP           NODE     NOMINATED NODE   READINESS GATES';
const SEED_POD_ROWS = [
  'nginx-test-7646687cc4-n8s9s   1/1     Running   6 (60m ago)   26d   10.42.0.65   master   <none>           <none>',
  'nginx-test-7646687cc4-z8xnq   1/1     Running   0             47s   10.42.1.9    node1    <none>           <none>',
];

describe('kubectl describe service', () => {
  it('prints the NodePort layout of seed §4b from the seed cluster', () => {
    const spec = seedSpec();
    expect(ok(kubectlCommand(spec, endpointsFromSlices(spec), ['describe', 'service', 'nginx-test']))).toBe(SEED_NODEPORT);
  });

  it('prints the ClusterIP layout of seed §6 (no External Traffic Policy)', () => {
    const { spec, endpoints } = section6();
    expect(ok(kubectlCommand(spec, endpoints, ['describe', 'svc', 'nginx-test']))).toBe(SEED_CLUSTERIP);
    expect(ok(kubectlCommand(spec, endpoints, ['describe', 'svc/nginx-test']))).toBe(SEED_CLUSTERIP);
  });

  it('aligns extra labels under the first, and says <none> and <unset> where kubectl does', () => {
    const spec = seedSpec();
    const out = ok(kubectlCommand(spec, new Map(), ['describe', 'service', 'kubernetes'])).split('\n');
    expect(out[2]).toBe('Labels:            component=apiserver');
    expect(out[3]).toBe('                   provider=kubernetes');
    expect(out[5]).toBe('Selector:          <none>');
    expect(out).toContain('Endpoints:         <none>');
  });

  it('shows three endpoints and then counts the rest', () => {
    const spec = seedSpec();
    const eps = new Map([['default/nginx-test:80-80', ['10.42.1.6:80', '10.42.2.6:80', '10.42.0.65:80', '10.42.1.9:80', '10.42.2.7:80']]]);
    expect(ok(kubectlCommand(spec, eps, ['describe', 'service', 'nginx-test']))).toContain('Endpoints:                10.42.1.6:80,10.42.2.6:80,10.42.0.65:80 + 2 more...\n');
  });

  it('describes every service of the namespace, separated as kubectl does', () => {
    const spec = seedSpec();
    const out = ok(kubectlCommand(spec, endpointsFromSlices(spec), ['describe', 'svc']));
    expect(out).toMatch(/^Name: +kubernetes\n/);
    expect(out).toContain('Events:            <none>\n\n\nName:                     nginx-test\n');
  });

  it('reports a missing service as the API server does', () => {
    const spec = seedSpec();
    expect(kubectlCommand(spec, new Map(), ['describe', 'service', 'nginx'])).toEqual({ ok: false, error: 'Error from server (NotFound): services "nginx" not found' });
  });
});

describe('kubectl get', () => {
  it('prints the seed §6 pod table (columns sized by kubectl tabwriter)', () => {
    const spec = seedSpec();
    for (const argv of [['get', 'pod', '-owide'], ['get', 'pods', '-o', 'wide'], ['get', 'po', '--output=wide']]) {
      const out = ok(kubectlCommand(spec, new Map(), argv)).split('\n');
      expect(out[0]).toBe(SEED_PODS_HEADER);
      for (const row of SEED_POD_ROWS) expect(out).toContain(row);
    }
  });

  it('lists in etcd order and adds NAMESPACE with -A', () => {
    const spec = seedSpec();
    const out = ok(kubectlCommand(spec, new Map(), ['get', 'pods', '-A'])).split('\n');
    expect(out[0]).toBe('NAMESPACE   NAME                          READY   STATUS    RESTARTS      AGE');
    expect(out.slice(1, 5).map((l) => l.split(/\s+/)[1])).toEqual(['nginx-test-7646687cc4-5kqbd', 'nginx-test-7646687cc4-n8s9s', 'nginx-test-7646687cc4-w7rlm', 'nginx-test-7646687cc4-z8xnq']);
  });

  it('prints services with NodePort mappings and -o wide selectors', () => {
    const spec = seedSpec();
    expect(ok(kubectlCommand(spec, new Map(), ['get', 'svc']))).toBe(
      'NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\nkubernetes   ClusterIP   10.43.0.1    <none>        443/TCP        26d\nnginx-test   NodePort    10.43.6.58   <none>        80:32506/TCP   26d\n',
    );
    expect(ok(kubectlCommand(spec, new Map(), ['get', 'service', 'nginx-test', '-o', 'wide'])).split('\n')[1]).toBe('nginx-test   NodePort   10.43.6.58   <none>        80:32506/TCP   26d   app=nginx-test');
  });

  it('prints nodes with roles, addresses and the runtime', () => {
    const spec = seedSpec();
    const out = ok(kubectlCommand(spec, new Map(), ['get', 'nodes', '-owide'])).split('\n');
    expect(out[0]).toMatch(/^NAME {5}STATUS {3}ROLES {18}AGE {3}VERSION {8}INTERNAL-IP {5}EXTERNAL-IP {3}OS-IMAGE/);
    expect(out[1]).toMatch(/^master {3}Ready {4}control-plane,master {3}26d {3}v\S+ {3}192\.168\.205\.4 {3}<none> /);
    expect(out[2]).toMatch(/^node1 {4}Ready {4}<none> {17}26d /);
  });

  it('prints EndpointSlices and Endpoints', () => {
    const spec = seedSpec();
    expect(ok(kubectlCommand(spec, new Map(), ['get', 'endpointslices']))).toBe(
      'NAME               ADDRESSTYPE   PORTS   ENDPOINTS             AGE\nkubernetes         IPv4          6443    192.168.205.4         26d\nnginx-test-8xk2v   IPv4          80      10.42.1.6,10.42.2.6   26d\n',
    );
    expect(ok(kubectlCommand(spec, endpointsFromSlices(spec), ['get', 'ep', 'nginx-test']))).toBe('NAME         ENDPOINTS                   AGE\nnginx-test   10.42.1.6:80,10.42.2.6:80   26d\n');
  });

  it('prefixes names by kind when several kinds are listed', () => {
    const spec = seedSpec();
    const out = ok(kubectlCommand(spec, new Map(), ['get', 'svc,pods']));
    expect(out).toMatch(/^NAME {17}TYPE/);
    expect(out).toContain('service/nginx-test');
    expect(out).toContain('\n\nNAME                              READY');
    expect(out).toContain('pod/nginx-test-7646687cc4-n8s9s');
  });

  it('answers unknown resources, missing objects and empty namespaces as kubectl does', () => {
    const spec = seedSpec();
    expect(kubectlCommand(spec, new Map(), ['get', 'gizmos'])).toEqual({ ok: false, error: 'error: the server doesn\'t have a resource type "gizmos"' });
    expect(kubectlCommand(spec, new Map(), ['get', 'pod', 'nginx'])).toEqual({ ok: false, error: 'Error from server (NotFound): pods "nginx" not found' });
    expect(kubectlCommand(spec, new Map(), ['get', 'pods', '-n', 'kube-system'])).toEqual({ ok: true, output: '', mutates: false, stderr: 'No resources found in kube-system namespace.\n' });
    expect(kubectlCommand(spec, new Map(), ['frobnicate'])).toEqual({ ok: false, error: 'error: unknown command "frobnicate" for "kubectl"' });
    const yaml = kubectlCommand(spec, new Map(), ['get', 'pods', '-o', 'yaml']);
    expect(yaml.ok).toBe(false);
  });

  it('computes ready endpoints per service port from the EndpointSlices', () => {
    const spec = seedSpec();
    const m = endpointsFromSlices({
      ...spec,
      endpointSlices: spec.endpointSlices.map((s) => (s.serviceName === 'nginx-test' ? { ...s, endpoints: [...s.endpoints, { ip: '10.42.2.9' as Ipv4, ready: false, serving: false, terminating: true }] } : s)),
    });
    expect(m.get('default/nginx-test:80-80')).toEqual(['10.42.1.6:80', '10.42.2.6:80']);
    expect(m.get('default/kubernetes:https')).toEqual(['192.168.205.4:6443']);
  });
});

describe('tabwrite', () => {
  it('sizes a column per block of lines that have it, leaving last cells unpadded', () => {
    expect(tabwrite('a:\tx\nlonger:\ty\tz\nb:\tw\n', 0, 2)).toBe('a:       x\nlonger:  y  z\nb:       w\n');
    expect(tabwrite('AGE\tIP\n1d\t10.0.0.1\n', 6, 3)).toBe('AGE   IP\n1d    10.0.0.1\n');
  });
});
