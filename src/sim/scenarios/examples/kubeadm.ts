import { stringify } from 'yaml';
import { hashName } from '../../k8s/names.ts';
import { configMap, daemonSet, deployment, endpointSlice, event, jsonList, kubectlOrder, node, pod, service, type Json } from './objects.ts';

/**
 * kubeadm clusters with flannel from kube-flannel.yml, as `kubectl get
 * nodes,pods,svc,endpointslices,cm,deploy,rs,ds,events -A -o json|yaml` prints them: the
 * control-plane static pods and kube-proxy / kube-flannel DaemonSet pods on the host network,
 * CoreDNS on the pod network behind kube-dns (named target ports), an nginx Deployment behind a
 * NodePort Service, a finished Job pod and a Pending one. Nothing kube-packet-lab-specific: the
 * LAN, its gateway and a client are for the import to infer.
 */

export interface KubeadmOptions {
  /** node name → InternalIP; the first is the control plane */
  readonly nodes: readonly (readonly [string, string])[];
  readonly proxyMode?: '' | 'ipvs';
  readonly webReplicas?: number;
}

const VERSION = 'v1.29.2';
const DAY = 86400;

export function kubeadmObjects(o: KubeadmOptions): Json[] {
  const items: Json[] = [];
  const [cp] = o.nodes[0]!;
  const nodeInfo = { kubelet: VERSION, runtime: 'containerd://1.6.28', os: 'Ubuntu 22.04.4 LTS', kernel: '5.15.0-97-generic' };
  const nodes = o.nodes.map(([name, ip], k) => ({ name, ip, podCIDR: `10.244.${k}.0/24`, k }));
  for (const n of nodes) {
    items.push(
      node({
        name: n.name,
        ip: n.ip,
        podCIDR: n.podCIDR,
        controlPlane: n.k === 0,
        taint: n.k === 0,
        vtepMac: `${['3a', '5e', '72', 'b6', 'd2', 'ee'][n.k % 6]}:1f:${(0x40 + n.k).toString(16)}:9c:0e:${(0x11 * (n.k + 1)).toString(16).padStart(2, '0')}`,
        ...nodeInfo,
        extraAnnotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' },
        extraLabels: n.k === 0 ? { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {},
        ageSeconds: 12 * DAY - n.k * 600,
      }),
    );
  }
  const cpIp = o.nodes[0]![1];

  // the control plane's static pods run on the host network
  const statics: [string, string[]][] = [
    ['etcd', ['etcd', `--advertise-client-urls=https://${cpIp}:2379`, '--data-dir=/var/lib/etcd', `--listen-client-urls=https://127.0.0.1:2379,https://${cpIp}:2379`]],
    ['kube-apiserver', ['kube-apiserver', `--advertise-address=${cpIp}`, '--allow-privileged=true', '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--secure-port=6443', '--service-account-issuer=https://kubernetes.default.svc.cluster.local', '--service-cluster-ip-range=10.96.0.0/12']],
    ['kube-controller-manager', ['kube-controller-manager', '--allocate-node-cidrs=true', '--cluster-cidr=10.244.0.0/16', '--cluster-name=kubernetes', '--controllers=*,bootstrapsigner,tokencleaner', '--service-cluster-ip-range=10.96.0.0/12', '--use-service-account-credentials=true']],
    ['kube-scheduler', ['kube-scheduler', '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf', '--bind-address=127.0.0.1', '--leader-elect=true']],
  ];
  for (const [component, command] of statics) {
    items.push(pod({ name: `${component}-${cp}`, namespace: 'kube-system', labels: { component, tier: 'control-plane' }, node: cp, ip: cpIp, hostIP: cpIp, hostNetwork: true, priorityClassName: 'system-node-critical', owner: { kind: 'Node', name: cp, apiVersion: 'v1' }, containers: [{ name: component, image: `registry.k8s.io/${component}:${component === 'etcd' ? '3.5.10-0' : VERSION}`, command }], ageSeconds: 12 * DAY }));
  }

  // DaemonSets: kube-proxy and flanneld on every node, host network
  const proxyContainer = { name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${VERSION}`, command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'] };
  const flannelContainer = { name: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.24.2', command: ['/opt/bin/flanneld'], args: ['--ip-masq', '--kube-subnet-mgr'] };
  items.push(daemonSet({ name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, containers: [proxyContainer], hostNetwork: true, count: nodes.length, ageSeconds: 12 * DAY }));
  items.push(daemonSet({ name: 'kube-flannel-ds', namespace: 'kube-flannel', labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' }, containers: [flannelContainer], hostNetwork: true, count: nodes.length, ageSeconds: 12 * DAY }));
  for (const n of nodes) {
    items.push(pod({ name: `kube-proxy-${hashName(`kube-proxy/${n.name}`)}`, namespace: 'kube-system', labels: { 'controller-revision-hash': '7bb4d7b6d5', 'k8s-app': 'kube-proxy', 'pod-template-generation': '1' }, node: n.name, ip: n.ip, hostIP: n.ip, hostNetwork: true, priorityClassName: 'system-node-critical', owner: { kind: 'DaemonSet', name: 'kube-proxy' }, containers: [proxyContainer], ageSeconds: 12 * DAY - n.k * 600 }));
    items.push(
      pod({
        name: `kube-flannel-ds-${hashName(`flannel/${n.name}`)}`,
        namespace: 'kube-flannel',
        labels: { app: 'flannel', 'controller-revision-hash': '6b7f9c77d5', 'k8s-app': 'flannel', 'pod-template-generation': '1', tier: 'node' },
        node: n.name,
        ip: n.ip,
        hostIP: n.ip,
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        owner: { kind: 'DaemonSet', name: 'kube-flannel-ds' },
        initContainers: [
          { name: 'install-cni-plugin', image: 'docker.io/flannel/flannel-cni-plugin:v1.4.0-flannel1', command: ['cp'], args: ['-f', '/flannel', '/opt/cni/bin/flannel'] },
          { name: 'install-cni', image: 'docker.io/flannel/flannel:v0.24.2', command: ['cp'], args: ['-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'] },
        ],
        containers: [flannelContainer],
        restarts: n.k === 1 ? 1 : 0,
        ageSeconds: 12 * DAY - n.k * 600,
      }),
    );
  }

  // CoreDNS: a Deployment of two on the control plane (the only node when kubeadm init ran)
  const dnsContainer = { name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.1', args: ['-conf', '/etc/coredns/Corefile'], ports: [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp' }, { containerPort: 9153, name: 'metrics' }] };
  const dns = deployment({ name: 'coredns', namespace: 'kube-system', replicas: 2, labels: { 'k8s-app': 'kube-dns' }, containers: [dnsContainer], ageSeconds: 12 * DAY });
  items.push(dns.deployment, dns.replicaSet);
  const dnsPods = [`${dns.rsName}-${hashName('coredns/a')}`, `${dns.rsName}-${hashName('coredns/b')}`];
  dnsPods.forEach((name, k) => items.push(pod({ name, namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': dns.hash }, node: cp, ip: `10.244.0.${k + 2}`, hostIP: cpIp, priorityClassName: 'system-cluster-critical', owner: { kind: 'ReplicaSet', name: dns.rsName }, containers: [dnsContainer], ageSeconds: 12 * DAY - 60 })));

  // the application: nginx behind a NodePort, one replica per worker
  const workers = nodes.slice(1);
  const replicas = o.webReplicas ?? workers.length;
  const webContainer = { name: 'nginx', image: 'nginx:1.25.4', ports: [{ containerPort: 80, name: 'http' }] };
  const web = deployment({ name: 'web', namespace: 'default', replicas, labels: { app: 'web' }, containers: [webContainer], ageSeconds: 3 * DAY });
  items.push(web.deployment, web.replicaSet);
  const webPods = Array.from({ length: replicas }, (_, k) => {
    const n = workers[k % workers.length]!;
    return { name: `${web.rsName}-${hashName(`web/${k}`)}`, node: n.name, ip: `10.244.${n.k}.${2 + Math.floor(k / workers.length)}`, hostIP: n.ip };
  });
  for (const p of webPods) items.push(pod({ name: p.name, namespace: 'default', labels: { app: 'web', 'pod-template-hash': web.hash }, node: p.node, ip: p.ip, hostIP: p.hostIP, owner: { kind: 'ReplicaSet', name: web.rsName }, containers: [webContainer], ageSeconds: 3 * DAY }));
  // a finished Job's pod and one the scheduler could not place
  const w1 = workers[0]!;
  items.push(pod({ name: `db-migrate-${hashName('db-migrate')}`, namespace: 'default', labels: { 'batch.kubernetes.io/job-name': 'db-migrate', 'job-name': 'db-migrate' }, node: w1.name, ip: `10.244.${w1.k}.200`, hostIP: w1.ip, phase: 'Succeeded', owner: { kind: 'Job', name: 'db-migrate', apiVersion: 'batch/v1' }, containers: [{ name: 'migrate', image: 'postgres:16', command: ['psql', '-f', '/migrations/0042.sql'] }], ageSeconds: 2 * DAY }));
  items.push(pod({ name: 'batch-report', namespace: 'default', labels: { app: 'batch-report' }, phase: 'Pending', containers: [{ name: 'report', image: 'python:3.12', command: ['python', 'report.py'] }], ageSeconds: 3600 }));

  // Services and the slices the EndpointSlice controller wrote
  items.push(service({ name: 'kubernetes', namespace: 'default', clusterIP: '10.96.0.1', labels: { component: 'apiserver', provider: 'kubernetes' }, ports: [{ name: 'https', port: 443, targetPort: 6443 }], ageSeconds: 12 * DAY }));
  // the API server writes its own slice, named like the Service
  items.push(endpointSlice({ service: 'kubernetes', name: 'kubernetes', namespace: 'default', endpoints: [{ ip: cpIp }], ports: [{ name: 'https', port: 6443 }], ageSeconds: 12 * DAY, managedBy: 'endpointslicemirroring-controller.k8s.io' }));
  items.push(service({ name: 'kube-dns', namespace: 'kube-system', clusterIP: '10.96.0.10', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' }, selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, targetPort: 53 }, { name: 'metrics', port: 9153, targetPort: 9153 }], ageSeconds: 12 * DAY }));
  items.push(endpointSlice({ service: 'kube-dns', namespace: 'kube-system', endpoints: dnsPods.map((p, k) => ({ ip: `10.244.0.${k + 2}`, node: cp, pod: p })), ports: [{ name: 'dns-tcp', port: 53 }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'metrics', port: 9153 }], ageSeconds: 12 * DAY }));
  items.push(service({ name: 'web', namespace: 'default', clusterIP: '10.105.23.198', type: 'NodePort', labels: { app: 'web' }, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }], ageSeconds: 3 * DAY }));
  items.push(endpointSlice({ service: 'web', namespace: 'default', endpoints: webPods.map((p) => ({ ip: p.ip, node: p.node, pod: p.name })), ports: [{ port: 80 }], ageSeconds: 3 * DAY }));

  // ConfigMaps: what kubeadm and kube-flannel.yml wrote (and noise)
  items.push(
    configMap({
      name: 'kube-flannel-cfg',
      namespace: 'kube-flannel',
      labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
      data: {
        'cni-conf.json': `{\n  "name": "cbr0",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "flannel",\n      "delegate": {\n        "hairpinMode": true,\n        "isDefaultGateway": true\n      }\n    },\n    {\n      "type": "portmap",\n      "capabilities": {\n        "portMappings": true\n      }\n    }\n  ]\n}\n`,
        'net-conf.json': `{\n  "Network": "10.244.0.0/16",\n  "EnableNFTables": false,\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n`,
      },
      ageSeconds: 12 * DAY,
    }),
  );
  items.push(
    configMap({
      name: 'kube-proxy',
      namespace: 'kube-system',
      labels: { app: 'kube-proxy' },
      data: {
        'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: 10.244.0.0/16\nconfigSyncPeriod: 0s\nconntrack:\n  maxPerCore: null\n  min: null\niptables:\n  masqueradeAll: false\n  masqueradeBit: null\n  minSyncPeriod: 0s\n  syncPeriod: 0s\nipvs:\n  excludeCIDRs: null\n  minSyncPeriod: 0s\n  scheduler: ""\n  strictARP: false\n  syncPeriod: 0s\nkind: KubeProxyConfiguration\nmode: "${o.proxyMode ?? ''}"\nnodePortAddresses: null\n`,
        'kubeconfig.conf': `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: https://${cpIp}:6443\n  name: default\n`,
      },
      ageSeconds: 12 * DAY,
    }),
  );
  items.push(
    configMap({
      name: 'kubeadm-config',
      namespace: 'kube-system',
      data: {
        ClusterConfiguration: `apiServer:\n  extraArgs:\n    authorization-mode: Node,RBAC\n  timeoutForControlPlane: 4m0s\napiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\ncontrolPlaneEndpoint: ${cpIp}:6443\ncontrollerManager: {}\ndns: {}\netcd:\n  local:\n    dataDir: /var/lib/etcd\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\nkubernetesVersion: ${VERSION}\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\nscheduler: {}\n`,
      },
      ageSeconds: 12 * DAY,
    }),
  );
  items.push(configMap({ name: 'coredns', namespace: 'kube-system', data: { Corefile: '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n' }, ageSeconds: 12 * DAY }));
  for (const ns of ['default', 'kube-system', 'kube-flannel']) items.push(configMap({ name: 'kube-root-ca.crt', namespace: ns, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIQ2x1c3RlckNBMA0GCSqGSIb3DQEBCwUAMBUxEzARBgNV\n-----END CERTIFICATE-----\n' }, ageSeconds: 12 * DAY }));
  items.push(event({ namespace: 'default', involved: webPods[0]!.name, kind: 'Pod', reason: 'Started', message: 'Started container nginx', ageSeconds: 3 * DAY }));
  items.push(event({ namespace: 'default', involved: 'batch-report', kind: 'Pod', reason: 'FailedScheduling', message: '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient memory.', ageSeconds: 600 }));
  return kubectlOrder(items);
}

/** kubeadm + flannel, 4 nodes, with CoreDNS: `kubectl get … -A -o json`. */
export const kubeadmFlannelJson = (): string =>
  jsonList(
  kubeadmObjects({
    nodes: [
      ['cp-1', '192.168.56.10'],
      ['worker-1', '192.168.56.11'],
      ['worker-2', '192.168.56.12'],
      ['worker-3', '192.168.56.13'],
    ],
  }),
);

/** The same objects as multi-document YAML (`---` between objects), as `kubectl get -o yaml` per object writes. */
export function multiDocumentYaml(items: readonly Json[]): string {
  return items.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** kubeadm with nodes on two subnets joined by a router: `-o yaml` (a List). */
export const kubeadmTwoSubnetsYaml = (): string =>
  stringify(
  {
    apiVersion: 'v1',
    items: kubeadmObjects({
      nodes: [
        ['cp-1', '192.168.10.10'],
        ['worker-1', '192.168.10.11'],
        ['worker-2', '192.168.20.21'],
        ['worker-3', '192.168.20.22'],
      ],
    }),
    kind: 'List',
    metadata: { resourceVersion: '' },
  },
  { lineWidth: 0 },
);

/** kubeadm with kube-proxy in ipvs mode, 3 nodes: multi-document YAML. */
export const kubeadmIpvsYaml = (): string =>
  multiDocumentYaml(
  kubeadmObjects({
    nodes: [
      ['cp-1', '172.16.0.10'],
      ['worker-1', '172.16.0.11'],
      ['worker-2', '172.16.0.12'],
    ],
    proxyMode: 'ipvs',
  }),
);
