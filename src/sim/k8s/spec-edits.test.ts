import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import { execCommand } from '../cli/exec.ts';
import { traceFlow } from './flows.ts';
import type { Cluster } from './cluster.ts';

/** kubectl edits on the k3s example dump (the seed at its §6 moment: nginx-test with 2 replicas). */

const N8S9S = 'nginx-test-7646687cc4-n8s9s';

function cluster(...before: string[]): Cluster {
  const c = loadScenario({ preset: 'k3s', modes: {}, seed: 1, before });
  if (!c.ok) throw new Error(`${c.error.where}: ${c.error.message}`);
  return c.value;
}

function refused(...before: string[]): string {
  const c = loadScenario({ preset: 'k3s', modes: {}, seed: 1, before });
  if (c.ok) throw new Error('expected the edit to be refused');
  return c.error.message;
}

const sh = (c: Cluster, target: string, command: string) => {
  const r = execCommand(c, target, command);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
};

describe('kubectl scale deployment nginx-test --replicas 4', () => {
  const c = cluster('master: kubectl scale deployment nginx-test --replicas 4');

  it('changes the statistic probabilities to 0.25000000000 / 0.33333333349 / 0.50000000000', () => {
    const probs = [...sh(c, 'master', 'iptables -t nat -S KUBE-SVC-7CWUT4JBGBRVUN2L').matchAll(/--probability (\S+)/g)].map((m) => m[1]);
    expect(probs).toEqual(['0.25000000000', '0.33333333349', '0.50000000000']);
  });

  it('places the new pods round-robin (node2 had none, then master) on the next free IP of each podCIDR', () => {
    const pods = c.spec.pods.filter((p) => p.labels.app === 'nginx-test').map((p) => `${p.nodeName} ${p.ip}`);
    // node2's svclb pod holds 10.42.2.2; master's highest is the seed's 10.42.0.65
    expect(pods).toEqual(['master 10.42.0.65', 'node1 10.42.1.9', 'node2 10.42.2.3', 'master 10.42.0.66']);
    expect(c.spec.pods.filter((p) => p.labels.app === 'nginx-test').every((p) => p.name.startsWith('nginx-test-7646687cc4-'))).toBe(true);
  });

  it('a 1000-connection run lands on all four', () => {
    const reached = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const t = traceFlow(c, { from: N8S9S, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' });
      if (!t.ok) throw new Error(t.error.message);
      const first = t.value.packets[0]!;
      reached.set(first.netns, (reached.get(first.netns) ?? 0) + 1);
    }
    expect(reached.size).toBe(4);
    for (const n of reached.values()) expect(n).toBeGreaterThan(150);
  });

  it('prints what kubectl prints, and kubectl get shows the new pods', () => {
    const fresh = cluster();
    expect(execCommand(fresh, 'master', 'kubectl scale deployment nginx-test --replicas 4')).toMatchObject({ ok: true, value: { output: 'deployment.apps/nginx-test scaled\n', mutates: true } });
    expect(sh(c, 'master', 'kubectl get pods -o wide')).toMatch(/nginx-test-7646687cc4-\w{5}\s+1\/1\s+Running\s+0\s+0s\s+10\.42\.2\.3\s+node2/);
  });

  it('scaling down to 1 removes from the node with the most replicas, newest first, and the endpoints follow', () => {
    const down = cluster('master: kubectl scale deployment nginx-test --replicas 4', 'master: kubectl scale rs nginx-test-7646687cc4 --replicas=1');
    // master held two; then, at one each, the newest go first: z8xnq (47s) before n8s9s (26d)
    expect(down.spec.pods.filter((p) => p.labels.app === 'nginx-test').map((p) => p.ip)).toEqual(['10.42.0.65']);
    expect(sh(down, 'master', 'iptables -t nat -S KUBE-SVC-7CWUT4JBGBRVUN2L')).not.toContain('statistic');
  });
});

describe('kubectl delete', () => {
  it('a pod its ReplicaSet owns is replaced: a new name and the next address on the node the set needs', () => {
    const c = cluster(`master: kubectl delete pod ${N8S9S}`);
    const pods = c.spec.pods.filter((p) => p.labels.app === 'nginx-test');
    expect(pods.map((p) => p.name)).not.toContain(N8S9S);
    expect(pods).toHaveLength(2);
    expect(sh(c, 'master', 'iptables -t nat -S')).not.toContain('10.42.0.65');
  });

  it('a Service takes its slices with it; a deleted slice of a selector Service is written again from the pods', () => {
    const gone = cluster('master: kubectl delete svc nginx-test');
    expect(sh(gone, 'master', 'iptables -t nat -S')).not.toContain('default/nginx-test');
    const slice = cluster().spec.endpointSlices.find((s) => s.serviceName === 'nginx-test')!;
    const again = cluster(`master: kubectl delete endpointslice ${slice.name}`);
    const now = again.spec.endpointSlices.filter((s) => s.serviceName === 'nginx-test');
    expect(now.map((s) => s.name)).not.toContain(slice.name);
    expect(now.flatMap((s) => s.endpoints.map((e) => e.ip))).toEqual(['10.42.0.65', '10.42.1.9']);
  });

  it('refuses as kubectl does and changes nothing', () => {
    expect(refused('master: kubectl delete pod')).toBe('error: resource(s) were provided, but no name, label selector, or --all flag specified');
    expect(refused('master: kubectl delete pod nope')).toBe('Error from server (NotFound): pods "nope" not found');
    expect(refused('master: kubectl delete endpointslice nope -n kube-system')).toBe('Error from server (NotFound): endpointslices.discovery.k8s.io "nope" not found');
    expect(refused('master: kubectl delete frobs x')).toBe('error: the server doesn\'t have a resource type "frobs"');
    expect(refused('master: kubectl scale deployment nginx-test')).toBe('error: required flag(s) "replicas" not set');
    expect(refused('master: kubectl scale deployment nginx-test --replicas -1')).toBe('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    expect(refused('master: kubectl scale deployment nginx-test --replicas abc')).toBe('error: invalid argument "abc" for "--replicas" flag: strconv.ParseInt: parsing "abc": invalid syntax');
    expect(refused('master: kubectl scale deployment nope --replicas 2')).toBe('Error from server (NotFound): deployments.apps "nope" not found');
    const c = cluster();
    expect(execCommand(c, 'master', 'kubectl delete pod nope')).toMatchObject({ ok: false });
    expect(c.spec.pods.map((p) => p.name)).toContain(N8S9S);
  });
});

describe('kubectl expose', () => {
  it('a Deployment as a NodePort: a ClusterIP from the service range, a NodePort, endpoints, and a client gets through', () => {
    const c = cluster('master: kubectl expose deployment nginx-test --port 8080 --target-port 80 --type NodePort --name web');
    const svc = c.spec.services.find((s) => s.name === 'web')!;
    expect(svc.clusterIP).toMatch(/^10\.43\./);
    expect(svc.ports[0]).toMatchObject({ port: 8080, targetPort: 80, protocol: 'TCP' });
    expect(svc.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(c.spec.endpointSlices.filter((s) => s.serviceName === 'web').flatMap((s) => s.endpoints.map((e) => e.ip))).toEqual(['10.42.0.65', '10.42.1.9']);
    const t = traceFlow(c, { from: 'client', to: `192.168.205.5:${svc.ports[0]!.nodePort}`, proto: 'tcp', kind: 'connect' });
    expect(t.ok && t.value.verdict).toBe('delivered');
    expect(execCommand(cluster(), 'master', 'kubectl expose deployment nginx-test --port 8080 --name web')).toMatchObject({ ok: true, value: { output: 'service/web exposed\n' } });
  });

  it('a pod by its labels and its container port', () => {
    const c = cluster(`master: kubectl expose pod ${N8S9S} --name one`);
    const svc = c.spec.services.find((s) => s.name === 'one')!;
    expect(svc.selector).toEqual({ app: 'nginx-test', 'pod-template-hash': '7646687cc4' });
    expect(svc.ports[0]!.port).toBe(80);
  });

  it('refuses a taken name, a bad name, no port', () => {
    expect(refused('master: kubectl expose deployment nginx-test --port 80')).toBe('Error from server (AlreadyExists): services "nginx-test" already exists');
    expect(refused('master: kubectl expose deployment nginx-test --port 80 --name Web_1')).toMatch(/^The Service "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a DNS-1035 label must consist of lower case alphanumeric characters or '-'/);
    expect(refused('master: kubectl expose deployment coredns -n kube-system --port 70000 --name x')).toBe('The Service "x" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive');
  });
});

describe('kubectl apply -f - with a here-document', () => {
  const doc = `master: kubectl apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - {name: echo, image: hashicorp/http-echo, ports: [{containerPort: 5678, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: http}]
EOF`;

  it('creates the Deployment\'s pods and the Service with a ClusterIP and endpoints on the named port', () => {
    const c = cluster(doc);
    const pods = c.spec.pods.filter((p) => p.labels.app === 'echo');
    expect(pods.map((p) => p.nodeName)).toEqual(['master', 'node1', 'node2']);
    const svc = c.spec.services.find((s) => s.name === 'echo')!;
    expect(sh(c, 'master', `iptables -t nat -S`)).toContain(`-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p tcp -m comment --comment "default/echo cluster IP" -m tcp --dport 80 -j`);
    expect(c.spec.endpointSlices.find((s) => s.serviceName === 'echo')!.ports).toEqual([{ name: '', port: 5678, protocol: 'TCP' }]);
    const first = execCommand(cluster(), 'master', doc.slice('master: '.length));
    expect(first).toMatchObject({ ok: true, value: { output: 'deployment.apps/echo created\nservice/echo created\n', mutates: true } });
    expect(execCommand(c, 'master', doc.slice('master: '.length))).toMatchObject({ ok: true, value: { output: 'deployment.apps/echo unchanged\nservice/echo unchanged\n' } });
  });

  it('a bad object is refused as the API server would, naming the field and the line', () => {
    const bad = 'master: kubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports: [{port: 0}]\nEOF';
    expect(refused(bad)).toBe('The Service "x" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive (line 5 of the input)');
    expect(refused('master: kubectl apply -f - <<EOF\nkind: Node\nmetadata: {name: n}\nEOF')).toMatch(/^kube-packet-lab: kubectl apply here takes Pod, Service, EndpointSlice, Deployment, ReplicaSet \(line 1 is a Node/);
    expect(refused('master: kubectl apply -f pods.yaml')).toMatch(/^error: the path "pods.yaml" does not exist/);
  });
});
