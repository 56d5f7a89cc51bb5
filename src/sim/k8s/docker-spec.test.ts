import { describe, expect, it } from 'vitest';
import { parseCluster } from './spec.ts';

const HEAD = `apiVersion: v1
kind: List
items:
- {apiVersion: kube-packet-lab.dev/v1, kind: Network, metadata: {name: lan}, spec: {cidr: 192.168.205.0/24, gateway: 192.168.205.1}}
- {apiVersion: kube-packet-lab.dev/v1, kind: Host, metadata: {name: client}, spec: {interfaces: [{name: en0, network: lan, address: 192.168.205.100/24}]}}
- {apiVersion: kube-packet-lab.dev/v1, kind: DockerHost, metadata: {name: dh}, spec: {network: lan, address: 192.168.205.10/24}}
- {apiVersion: kube-packet-lab.dev/v1, kind: DockerNetwork, metadata: {name: backend}, spec: {subnet: 172.18.0.0/16}}
`;

const item = (kind: string, name: string, spec: string) => `- {apiVersion: kube-packet-lab.dev/v1, kind: ${kind}, metadata: {name: ${name}}, spec: ${spec}}\n`;
const ctr = (name: string, spec: string) => item('Container', name, spec);

function error(yaml: string): { where: string; message: string } {
  const r = parseCluster(yaml);
  if (r.ok) throw new Error('expected an error');
  // the line is asserted once below; the rest compare object, field and message
  return { where: r.error.where.replace(/ \(line \d+\)$/, ''), message: r.error.message };
}

describe('Docker objects in a cluster file', () => {
  it('names the line of the field at fault', () => {
    const r = parseCluster(HEAD + ctr('web', '{image: nginx}') + ctr('web', '{image: nginx}'));
    if (r.ok) throw new Error('expected an error');
    expect(r.error.where).toBe('Container web .metadata.name (line 9)');
  });

  it('parses hosts, networks and containers with their modes', () => {
    const r = parseCluster(HEAD + ctr('web', '{image: nginx, publish: ["8080:80"]}') + ctr('side', '{image: busybox, network: "container:web"}') + ctr('h', '{image: nginx, network: host}') + ctr('n', '{image: alpine, network: none}') + ctr('db', '{image: postgres, network: backend, ip: 172.18.0.9}'));
    if (!r.ok) throw new Error(r.error.message);
    const d = r.value.docker;
    expect(d.hosts.map((h) => [h.name, h.address, h.prefixLen, h.gateway, h.nic, h.userlandProxy])).toEqual([['dh', '192.168.205.10', 24, '192.168.205.1', 'enp0s1', true]]);
    expect(d.networks).toEqual([{ name: 'backend', host: 'dh', subnet: '172.18.0.0/16', gateway: undefined, bridge: undefined }]);
    expect(d.containers.map((c) => `${c.name}:${c.mode}:${c.network ?? c.joins ?? ''}`)).toEqual(['web:bridge:bridge', 'side:container:web', 'h:host:', 'n:none:', 'db:bridge:backend']);
    expect(d.containers[0]!.publish).toEqual([{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    expect(d.containers[0]!.command).toBe("/docker-entrypoint.sh nginx -g 'daemon off;'");
  });

  it('a file without Docker objects has an empty docker section', () => {
    const r = parseCluster('apiVersion: v1\nkind: List\nitems: []\n');
    expect(r.ok && r.value.docker).toEqual({ hosts: [], networks: [], containers: [] });
  });

  it('container:X where X does not exist: docker\'s "No such container"', () => {
    expect(error(HEAD + ctr('side', '{image: busybox, network: "container:ghost"}'))).toEqual({
      where: 'Container side .spec.network',
      message: 'No such container: ghost (no Container "ghost" on dh to join with container:ghost)',
    });
  });

  it('joining itself, or a circle of joins', () => {
    expect(error(HEAD + ctr('a', '{image: busybox, network: "container:a"}')).message).toBe('cannot join own network');
    expect(error(HEAD + ctr('a', '{image: busybox, network: "container:b"}') + ctr('b', '{image: busybox, network: "container:a"}')).message).toMatch(/leads round in a circle/);
  });

  it('an IP outside its network: libnetwork\'s "does not belong to any of this network\'s subnets"', () => {
    expect(error(HEAD + ctr('db', '{image: postgres, network: backend, ip: 10.0.0.5}'))).toEqual({
      where: 'Container db .spec.ip',
      message: "Invalid address 10.0.0.5: It does not belong to any of this network's subnets (backend is 172.18.0.0/16)",
    });
  });

  it('--ip on the default bridge, on the gateway, or twice', () => {
    expect(error(HEAD + ctr('web', '{image: nginx, ip: 172.17.0.9}')).message).toBe('user specified IP address is supported on user defined networks only');
    expect(error(HEAD + ctr('db', '{image: postgres, network: backend, ip: 172.18.0.1}')).message).toMatch(/^Address already in use: 172.18.0.1 is network backend's gateway/);
    expect(error(HEAD + ctr('a', '{image: postgres, network: backend, ip: 172.18.0.9}') + ctr('b', '{image: postgres, network: backend, ip: 172.18.0.9}'))).toEqual({
      where: 'Container b .spec.ip',
      message: "Address already in use: 172.18.0.9 is already container a's",
    });
  });

  it('a duplicate container name: docker\'s Conflict', () => {
    expect(error(HEAD + ctr('web', '{image: nginx}') + ctr('web', '{image: nginx}'))).toEqual({
      where: 'Container web .metadata.name',
      message: 'Conflict. The container name "/web" is already in use',
    });
  });

  it('a container named like a host', () => {
    expect(error(HEAD + ctr('client', '{image: nginx}')).where).toBe('Container client .metadata.name');
  });

  it('an unknown network, and a network named like a predefined one', () => {
    expect(error(HEAD + ctr('web', '{image: nginx, network: frontend}'))).toEqual({
      where: 'Container web .spec.network',
      message: 'network frontend not found (have: bridge, host, none, container:<name>, backend)',
    });
    expect(error(HEAD + item('DockerNetwork', 'host', '{}')).message).toBe('network with name host already exists');
  });

  it('overlapping subnets: "Pool overlaps with other one on this address space"', () => {
    expect(error(HEAD + item('DockerNetwork', 'other', '{subnet: 172.18.5.0/24}'))).toEqual({
      where: 'DockerNetwork other .spec.subnet',
      message: '172.18.5.0/24: Pool overlaps with other one on this address space',
    });
    expect(error(HEAD + item('DockerNetwork', 'other', '{subnet: 172.17.0.0/16}')).message).toMatch(/Pool overlaps/);
  });

  it('ports: publishing in container mode, a host port taken twice, a bad -p', () => {
    expect(error(HEAD + ctr('web', '{image: nginx}') + ctr('s', '{image: nginx, network: "container:web", publish: ["81:80"]}')).message).toBe('conflicting options: port publishing and the container type network mode');
    expect(error(HEAD + ctr('a', '{image: nginx, publish: ["8080:80"]}') + ctr('b', '{image: nginx, publish: ["8080:80"]}'))).toEqual({
      where: 'Container b .spec.publish[0]',
      message: 'Bind for 0.0.0.0:8080 failed: port is already allocated (container a has it)',
    });
    expect(error(HEAD + ctr('h', '{image: nginx, network: host, listen: [{port: 22}]}')).message).toMatch(/^listen tcp 0.0.0.0:22: bind: address already in use/);
    expect(error(HEAD + ctr('a', '{image: nginx, publish: ["80:80/sctp"]}')).where).toBe('Container a .spec.publish[0]');
  });

  it('a DockerHost on no Network, or on an address a Host has', () => {
    expect(error(HEAD.replace('network: lan, address: 192.168.205.10/24', 'network: wan, address: 192.168.205.10/24'))).toEqual({ where: 'DockerHost dh .spec.network', message: 'no Network named "wan"' });
    expect(error(HEAD.replace('192.168.205.10/24', '192.168.205.100/24'))).toEqual({ where: 'DockerHost dh .spec.address', message: 'IP 192.168.205.100 is already used by client' });
  });

  it('namespace names stay unique: two pods of one name, a pod named like a container, "root"', () => {
    expect(error(HEAD + ctr('p1', '{image: pause, pod: shared}') + ctr('p2', '{image: pause, pod: shared}'))).toEqual({
      where: 'Container p2 .spec.pod',
      message: 'the namespace name "shared" is already pod shared\'s (a pod\'s namespace is named after the pod)',
    });
    expect(error(HEAD + ctr('web', '{image: nginx}') + ctr('pause', '{image: pause, pod: web}')).where).toBe('Container pause .spec.pod');
    expect(error(HEAD + ctr('root', '{image: nginx}')).where).toBe('Container root .metadata.name');
  });

  it('a container in a pod must share that pod\'s namespace', () => {
    expect(error(HEAD + ctr('pause', '{image: pause, pod: p1}') + ctr('app', '{image: nginx, network: "container:pause", pod: p2}'))).toEqual({
      where: 'Container app .spec.pod',
      message: 'is "p2" but the namespace it joins belongs to pod p1',
    });
  });
});
