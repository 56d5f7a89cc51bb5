import { describe, expect, it } from 'vitest';
import { SEED_CLUSTER_YAML } from '../scenarios/seed-cluster.ts';
import { parseCluster } from './spec.ts';

function error(from: string, to: string): string {
  expect(SEED_CLUSTER_YAML).toContain(from);
  const r = parseCluster(SEED_CLUSTER_YAML.replace(from, to));
  if (r.ok) throw new Error('expected an error');
  return `${r.error.where}: ${r.error.message}`;
}

describe('parseCluster', () => {
  it('reads the seed file: 3 nodes, 4 pods, 2 services, vxlan, iptables', () => {
    const r = parseCluster(SEED_CLUSTER_YAML);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.nodes.map((n) => `${n.name} ${n.internalIP} ${n.podCIDR}`)).toEqual(['master 192.168.205.4 10.42.0.0/24', 'node1 192.168.205.3 10.42.1.0/24', 'node2 192.168.205.5 10.42.2.0/24']);
    expect(r.value.pods).toHaveLength(4);
    expect(r.value.flannel).toEqual({ network: '10.42.0.0/16', backend: 'vxlan', vni: 1, port: 8472 });
    expect(r.value.kubeProxy).toMatchObject({ mode: 'iptables', clusterCIDR: '10.42.0.0/16', scheduler: 'rr' });
  });

  it('names a Service with a bad ClusterIP', () => {
    expect(error('clusterIP: 10.43.6.58', 'clusterIP: 10.43.6.580')).toBe('Service default/nginx-test .spec.clusterIP: "10.43.6.580" is not an IPv4 address');
  });

  it('refuses a NodePort already allocated to another service', () => {
    const e = error(
      'type: ClusterIP\n    clusterIP: 10.43.0.1\n    ports: [{name: https, port: 443, targetPort: 6443, protocol: TCP}]',
      'type: NodePort\n    clusterIP: 10.43.0.1\n    ports: [{name: https, port: 443, targetPort: 6443, protocol: TCP, nodePort: 32506}]',
    );
    expect(e).toBe('Service default/nginx-test .spec.ports[0].nodePort: provided port is already allocated: 32506 is used by default/kubernetes');
  });

  it('refuses the same service port twice', () => {
    expect(error('ports: [{name: 80-80, port: 80,', 'ports: [{name: a, port: 80, protocol: TCP}, {name: 80-80, port: 80,')).toMatch(/Service default\/nginx-test \.spec\.ports\[1\]: port 80\/TCP is listed twice/);
  });

  it('names a broken flannel net-conf.json and an unknown backend', () => {
    expect(error('"Type": "vxlan"', '"Type": "ipsec"')).toContain('net-conf.json .Backend.Type: "ipsec" is not one of vxlan, host-gw, udp');
    expect(error('"Network": "10.42.0.0/16",', '"Network": "10.42.0.0/16"')).toContain('is not valid JSON');
  });

  it('names an unknown kube-proxy mode and IPVS scheduler', () => {
    expect(error('mode: iptables', 'mode: userspace')).toContain('config.conf .mode: "userspace" is not supported here (iptables, ipvs)');
    expect(error('scheduler: rr', 'scheduler: fastest')).toContain('.ipvs.scheduler: "fastest" is not one of rr, wrr, lc, sh, dh, mh');
  });

  it('refuses overlapping pod CIDRs and a pod on its node\'s gateway address', () => {
    expect(error('spec: {podCIDR: 10.42.2.0/24, podCIDRs: [10.42.2.0/24]}', 'spec: {podCIDR: 10.42.1.0/24}')).toContain("overlaps node node1's 10.42.1.0/24");
    expect(error('podIP: 10.42.1.9', 'podIP: 10.42.1.1')).toContain('is the network or gateway (cni0) address of 10.42.1.0/24');
  });
});
