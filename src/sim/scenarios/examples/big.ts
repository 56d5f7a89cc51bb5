import { hashName } from '../../k8s/names.ts';
import { configMap, deployment, endpointSlice, jsonList, node, pod, service, type Json } from './objects.ts';

/**
 * A large dump in the shape a real one has (managedFields, statuses, owners): `nodes` kubeadm
 * nodes with `podsPerNode` pods each, one Deployment and Service per `perApp` pods. For the
 * import benchmark.
 */
export function bigDumpJson(nodes: number, podsPerNode: number, perApp = 30): string {
  const items: Json[] = [];
  const info = { kubelet: 'v1.29.2', runtime: 'containerd://1.6.28', os: 'Ubuntu 22.04.4 LTS', kernel: '5.15.0-97-generic' };
  const ips = (k: number) => `10.${20 + Math.floor(k / 250)}.${Math.floor((k % 250) / 1)}.10`;
  for (let k = 0; k < nodes; k++) {
    items.push(node({ name: `node-${k}`, ip: ips(k), podCIDR: `10.244.${k}.0/24`, controlPlane: k === 0, vtepMac: `5e:${(k >> 8).toString(16).padStart(2, '0')}:${(k & 255).toString(16).padStart(2, '0')}:01:02:03`, ...info, ageSeconds: 86400 * 30 }));
  }
  const apps = Math.ceil((nodes * podsPerNode) / perApp);
  let podIndex = 0;
  for (let a = 0; a < apps; a++) {
    const name = `app-${a}`;
    const c = { name: 'app', image: 'nginx:1.25.4', ports: [{ containerPort: 8080, name: 'http' }] };
    const d = deployment({ name, namespace: 'default', replicas: perApp, labels: { app: name }, containers: [c], ageSeconds: 86400 * 10 });
    items.push(d.deployment, d.replicaSet);
    const eps: { ip: string; node: string; pod: string }[] = [];
    for (let r = 0; r < perApp && podIndex < nodes * podsPerNode; r++, podIndex++) {
      const k = podIndex % nodes;
      const slot = Math.floor(podIndex / nodes);
      const ip = `10.244.${k}.${2 + slot}`;
      const podName = `${d.rsName}-${hashName(`${name}/${r}`)}`;
      eps.push({ ip, node: `node-${k}`, pod: podName });
      items.push(pod({ name: podName, namespace: 'default', labels: { app: name, 'pod-template-hash': d.hash }, node: `node-${k}`, ip, hostIP: ips(k), owner: { kind: 'ReplicaSet', name: d.rsName }, containers: [c], ageSeconds: 86400 * 10 }));
    }
    items.push(service({ name, namespace: 'default', clusterIP: `10.96.${1 + Math.floor(a / 250)}.${(a % 250) + 1}`, selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }], ageSeconds: 86400 * 10 }));
    items.push(endpointSlice({ service: name, namespace: 'default', endpoints: eps, ports: [{ port: 8080 }], ageSeconds: 86400 * 10 }));
  }
  items.push(configMap({ name: 'kube-flannel-cfg', namespace: 'kube-flannel', data: { 'net-conf.json': '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n' }, ageSeconds: 86400 * 30 }));
  return jsonList(items);
}
