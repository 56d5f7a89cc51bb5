import { stringify } from 'yaml';
import { hashName } from '../../k8s/names.ts';
import { configMap, daemonSet, deployment, endpointSlice, kubectlOrder, node, pod, service, type Json } from './objects.ts';

/**
 * The seed's cluster (kubernetes-network.md §1c) as a k3s user's `kubectl get
 * nodes,pods,svc,endpointslices,cm,deploy,rs,ds -A -o yaml` would print it at the §6 moment:
 * master, node1, node2 on 192.168.205.0/24 with flannel vxlan on 10.42.0.0/16, services on
 * 10.43.0.0/16; nginx-test with its two replicas n8s9s (10.42.0.65) and z8xnq (10.42.1.9)
 * behind the NodePort 32506; k3s's own CoreDNS, metrics-server, local-path-provisioner and
 * Traefik with its svclb DaemonSet, and the finished helm-install Job pods. k3s has no
 * kube-flannel-cfg or kube-proxy ConfigMap: its flags are on each node's k3s.io/node-args.
 */

const DAY = 86400;
const K3S = { kubelet: 'v1.28.5+k3s1', runtime: 'containerd://1.7.11-k3s2', os: 'Ubuntu 22.04.3 LTS', kernel: '5.15.0-91-generic' };

export function k3sObjects(): Json[] {
  const items: Json[] = [];
  const nodes = [
    { name: 'master', ip: '192.168.205.4', k: 0, mac: 'a6:3e:52:19:7c:d1', args: ['server', '--cluster-cidr', '10.42.0.0/16', '--service-cidr', '10.43.0.0/16', '--flannel-backend', 'vxlan', '--write-kubeconfig-mode', '644'] },
    { name: 'node1', ip: '192.168.205.3', k: 1, mac: '62:c8:a9:ce:ca:4e', args: ['agent', '--server', 'https://192.168.205.4:6443', '--token', '********'] },
    { name: 'node2', ip: '192.168.205.5', k: 2, mac: 'ee:87:b2:4a:fd:62', args: ['agent', '--server', 'https://192.168.205.4:6443', '--token', '********'] },
  ];
  for (const n of nodes) {
    items.push(
      node({
        name: n.name,
        ip: n.ip,
        podCIDR: `10.42.${n.k}.0/24`,
        controlPlane: n.k === 0,
        vtepMac: n.mac,
        ...K3S,
        extraLabels: { 'node.kubernetes.io/instance-type': 'k3s', ...(n.k === 0 ? { 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/control-plane': 'true' } : {}) },
        extraAnnotations: {
          'alpha.kubernetes.io/provided-node-ip': n.ip,
          'k3s.io/hostname': n.name,
          'k3s.io/internal-ip': n.ip,
          'k3s.io/node-args': JSON.stringify(n.args),
          'k3s.io/node-config-hash': `${hashName(`${n.name}/cfg`, 52).toUpperCase()}====`,
          'k3s.io/node-env': n.k === 0 ? '{"K3S_DATA_DIR":"/var/lib/rancher/k3s/data/28f7e87eba734b7f7731dc900e2c84e0e98ce869f3df9f40bd11fb4e9f38e9a8"}' : '{"K3S_DATA_DIR":"/var/lib/rancher/k3s/data/28f7e87eba734b7f7731dc900e2c84e0e98ce869f3df9f40bd11fb4e9f38e9a8","K3S_TOKEN":"********","K3S_URL":"https://192.168.205.4:6443"}',
        },
        ageSeconds: (26 * DAY + 3600) - n.k * 300,
      }),
    );
  }

  // k3s's packaged components
  const dnsC = { name: 'coredns', image: 'rancher/mirrored-coredns-coredns:1.10.1', args: ['-conf', '/etc/coredns/Corefile'], ports: [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp' }, { containerPort: 9153, name: 'metrics' }] };
  const lppC = { name: 'local-path-provisioner', image: 'rancher/local-path-provisioner:v0.0.24', command: ['local-path-provisioner', 'start', '--config', '/etc/config/config.json'] };
  const msC = { name: 'metrics-server', image: 'rancher/mirrored-metrics-server:v0.6.3', args: ['--cert-dir=/tmp', '--secure-port=10250', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname'], ports: [{ containerPort: 10250, name: 'https' }] };
  const trC = { name: 'traefik', image: 'rancher/mirrored-library-traefik:2.10.5', args: ['--entrypoints.web.address=:8000/tcp', '--entrypoints.websecure.address=:8443/tcp'], ports: [{ containerPort: 9100, name: 'metrics' }, { containerPort: 9000, name: 'traefik' }, { containerPort: 8000, name: 'web' }, { containerPort: 8443, name: 'websecure' }] };
  const system: [string, Json, typeof dnsC | typeof lppC | typeof msC | typeof trC, string][] = [
    ['coredns', { 'k8s-app': 'kube-dns' }, dnsC, '10.42.0.2'],
    ['local-path-provisioner', { app: 'local-path-provisioner' }, lppC, '10.42.0.3'],
    ['metrics-server', { 'k8s-app': 'metrics-server' }, msC, '10.42.0.4'],
    ['traefik', { 'app.kubernetes.io/instance': 'traefik-kube-system', 'app.kubernetes.io/name': 'traefik' }, trC, '10.42.0.8'],
  ];
  const systemPods: Record<string, { name: string; ip: string }> = {};
  for (const [name, labels, c, ip] of system) {
    const d = deployment({ name, namespace: 'kube-system', replicas: 1, labels, containers: [c], ageSeconds: (26 * DAY + 3600) });
    items.push(d.deployment, d.replicaSet);
    const podName = `${d.rsName}-${hashName(`k3s/${name}`)}`;
    systemPods[name] = { name: podName, ip };
    items.push(pod({ name: podName, namespace: 'kube-system', labels: { ...labels, 'pod-template-hash': d.hash }, node: 'master', ip, hostIP: '192.168.205.4', owner: { kind: 'ReplicaSet', name: d.rsName }, containers: [c], restarts: 6, ageSeconds: (26 * DAY + 3600) }));
  }
  // ServiceLB (klipper-lb): one svclb pod per node, publishing Traefik's ports with hostPort
  const lbC = (port: number) => ({ name: `lb-tcp-${port}`, image: 'rancher/klipper-lb:v0.4.4', ports: [{ containerPort: port, hostPort: port, name: `lb-tcp-${port}` }] });
  items.push(daemonSet({ name: 'svclb-traefik-9a8b1c2d', namespace: 'kube-system', labels: { app: 'svclb-traefik-9a8b1c2d' }, containers: [lbC(80), lbC(443)], count: 3, ageSeconds: (26 * DAY + 3600) }));
  for (const n of nodes) {
    items.push(pod({ name: `svclb-traefik-9a8b1c2d-${hashName(`svclb/${n.name}`)}`, namespace: 'kube-system', labels: { app: 'svclb-traefik-9a8b1c2d', 'svccontroller.k3s.cattle.io/svcname': 'traefik' }, node: n.name, ip: `10.42.${n.k}.${n.k === 0 ? 7 : 2}`, hostIP: n.ip, owner: { kind: 'DaemonSet', name: 'svclb-traefik-9a8b1c2d' }, containers: [lbC(80), lbC(443)], ageSeconds: (26 * DAY + 3600) }));
  }
  for (const job of ['helm-install-traefik-crd', 'helm-install-traefik']) {
    items.push(pod({ name: `${job}-${hashName(job)}`, namespace: 'kube-system', labels: { 'batch.kubernetes.io/job-name': job, 'helmcharts.helm.cattle.io/chart': job.replace('helm-install-', '') }, node: 'master', ip: job.endsWith('crd') ? '10.42.0.5' : '10.42.0.6', hostIP: '192.168.205.4', phase: 'Succeeded', owner: { kind: 'Job', name: job, apiVersion: 'batch/v1' }, containers: [{ name: 'helm', image: 'rancher/klipper-helm:v0.8.2-build20230815', args: ['install'] }], ageSeconds: (26 * DAY + 3600) }));
  }

  // nginx-test, the seed's Deployment, at the §6 moment
  const webC = { name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] };
  const web = deployment({ name: 'nginx-test', namespace: 'default', replicas: 2, labels: { app: 'nginx-test' }, containers: [webC], ageSeconds: (26 * DAY + 3600) });
  web.replicaSet.metadata = { ...(web.replicaSet.metadata as Json), name: 'nginx-test-7646687cc4', labels: { app: 'nginx-test', 'pod-template-hash': '7646687cc4' } };
  const rsSpec = web.replicaSet.spec as Json;
  web.replicaSet.spec = { ...rsSpec, selector: { matchLabels: { app: 'nginx-test', 'pod-template-hash': '7646687cc4' } }, template: { ...(rsSpec.template as Json), metadata: { labels: { app: 'nginx-test', 'pod-template-hash': '7646687cc4' } } } };
  items.push(web.deployment, web.replicaSet);
  const webPods = [
    { name: 'nginx-test-7646687cc4-n8s9s', node: 'master', ip: '10.42.0.65', hostIP: '192.168.205.4', restarts: 6, age: (26 * DAY + 3600) },
    { name: 'nginx-test-7646687cc4-z8xnq', node: 'node1', ip: '10.42.1.9', hostIP: '192.168.205.3', restarts: 0, age: 57 },
  ];
  for (const p of webPods) items.push(pod({ name: p.name, namespace: 'default', labels: { app: 'nginx-test', 'pod-template-hash': '7646687cc4' }, node: p.node, ip: p.ip, hostIP: p.hostIP, owner: { kind: 'ReplicaSet', name: 'nginx-test-7646687cc4' }, containers: [webC], restarts: p.restarts, ageSeconds: p.age }));

  // Services and their slices
  items.push(service({ name: 'kubernetes', namespace: 'default', clusterIP: '10.43.0.1', labels: { component: 'apiserver', provider: 'kubernetes' }, ports: [{ name: 'https', port: 443, targetPort: 6443 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(endpointSlice({ service: 'kubernetes', name: 'kubernetes', namespace: 'default', endpoints: [{ ip: '192.168.205.4' }], ports: [{ name: 'https', port: 6443 }], ageSeconds: (26 * DAY + 3600), managedBy: 'endpointslicemirroring-controller.k8s.io' }));
  items.push(service({ name: 'kube-dns', namespace: 'kube-system', clusterIP: '10.43.0.10', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' }, selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, targetPort: 53 }, { name: 'metrics', port: 9153, targetPort: 9153 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(endpointSlice({ service: 'kube-dns', namespace: 'kube-system', endpoints: [{ ip: '10.42.0.2', node: 'master', pod: systemPods.coredns!.name }], ports: [{ name: 'dns-tcp', port: 53 }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'metrics', port: 9153 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(service({ name: 'metrics-server', namespace: 'kube-system', clusterIP: '10.43.143.121', labels: { 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'Metrics-server' }, selector: { 'k8s-app': 'metrics-server' }, ports: [{ name: 'https', port: 443, targetPort: 'https' }], ageSeconds: (26 * DAY + 3600) }));
  items.push(endpointSlice({ service: 'metrics-server', namespace: 'kube-system', endpoints: [{ ip: '10.42.0.4', node: 'master', pod: systemPods['metrics-server']!.name }], ports: [{ name: 'https', port: 10250 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(service({ name: 'traefik', namespace: 'kube-system', clusterIP: '10.43.91.45', type: 'LoadBalancer', labels: { 'app.kubernetes.io/instance': 'traefik-kube-system', 'app.kubernetes.io/name': 'traefik' }, selector: { 'app.kubernetes.io/instance': 'traefik-kube-system', 'app.kubernetes.io/name': 'traefik' }, ports: [{ name: 'web', port: 80, targetPort: 'web', nodePort: 31823 }, { name: 'websecure', port: 443, targetPort: 'websecure', nodePort: 30551 }], loadBalancerIPs: ['192.168.205.3', '192.168.205.4', '192.168.205.5'], ageSeconds: (26 * DAY + 3600) }));
  items.push(endpointSlice({ service: 'traefik', namespace: 'kube-system', endpoints: [{ ip: '10.42.0.8', node: 'master', pod: systemPods.traefik!.name }], ports: [{ name: 'web', port: 8000 }, { name: 'websecure', port: 8443 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(service({ name: 'nginx-test', namespace: 'default', clusterIP: '10.43.6.58', type: 'NodePort', labels: { app: 'nginx-test' }, selector: { app: 'nginx-test' }, ports: [{ name: '80-80', port: 80, targetPort: 80, nodePort: 32506 }], ageSeconds: (26 * DAY + 3600) }));
  items.push(endpointSlice({ service: 'nginx-test', namespace: 'default', endpoints: webPods.map((p) => ({ ip: p.ip, node: p.node, pod: p.name })), ports: [{ name: '80-80', port: 80 }], ageSeconds: 57 }));

  items.push(configMap({ name: 'coredns', namespace: 'kube-system', data: { Corefile: '.:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    hosts /etc/coredns/NodeHosts {\n      ttl 60\n      reload 15s\n      fallthrough\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n    import /etc/coredns/custom/*.override\n}\nimport /etc/coredns/custom/*.server\n', NodeHosts: '192.168.205.4 master\n192.168.205.3 node1\n192.168.205.5 node2\n' }, ageSeconds: (26 * DAY + 3600) }));
  items.push(configMap({ name: 'local-path-config', namespace: 'kube-system', data: { 'config.json': '{\n  "nodePathMap":[\n  {\n    "node":"DEFAULT_PATH_FOR_NON_LISTED_NODES",\n    "paths":["/var/lib/rancher/k3s/storage"]\n  }\n  ]\n}' }, ageSeconds: (26 * DAY + 3600) }));
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) items.push(configMap({ name: 'kube-root-ca.crt', namespace: ns, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n' }, ageSeconds: (26 * DAY + 3600) }));
  return kubectlOrder(items);
}

/** `kubectl get … -A -o yaml` on the seed's k3s cluster. */
export function k3sSeedYaml(): string {
  return stringify({ apiVersion: 'v1', items: k3sObjects(), kind: 'List', metadata: { resourceVersion: '' } }, { lineWidth: 0 });
}
