import type { TopoDevice, TopoHost, Topology } from '../../sim/api-types.ts';

/** A synthetic cluster topology shaped like the core's: `n` nodes, `pods` pods each, a LAN, a gateway and a client. */
export function fakeTopology(n: number, pods: number | ((i: number) => number) = 2, vxlan = true): Topology {
  const hosts: TopoHost[] = [];
  for (let i = 0; i < n; i++) {
    const name = i === 0 ? 'master' : `node${i}`;
    const count = typeof pods === 'function' ? pods(i) : pods;
    const rootDevs: TopoDevice[] = [
      { name: 'lo', kind: 'loopback', addrs: ['127.0.0.1/8'], mac: '00:00:00:00:00:00', mtu: 65536, up: true },
      { name: 'enp0s1', kind: 'nic', addrs: [`192.168.205.${10 + i}/24`], mac: `02:00:00:00:00:${i.toString(16).padStart(2, '0')}`, mtu: 1500, up: true, segment: 'lan' },
      { name: 'cni0', kind: 'bridge', addrs: [`10.42.${i}.1/24`], mac: `0a:00:00:00:00:${i.toString(16).padStart(2, '0')}`, mtu: 1450, up: true },
    ];
    if (vxlan) rootDevs.push({ name: 'flannel.1', kind: 'vxlan', addrs: [`10.42.${i}.0/32`], mac: `62:00:00:00:00:${i.toString(16).padStart(2, '0')}`, mtu: 1450, up: true, vni: 1, dstport: 8472 });
    const namespaces: TopoHost['namespaces'][number][] = [];
    for (let p = 0; p < count; p++) {
      const pod = `pod-${i}-${p}`;
      const veth = `veth${i}${p}abcd`;
      rootDevs.push({ name: veth, kind: 'veth', addrs: [], mac: '02:11:00:00:00:00', mtu: 1450, up: true, master: 'cni0', peer: { netns: pod, dev: 'eth0' } });
      namespaces.push({
        name: pod,
        kind: 'pod',
        ip: `10.42.${i}.${p + 2}`,
        devices: [
          { name: 'lo', kind: 'loopback', addrs: [], mac: '00:00:00:00:00:00', mtu: 65536, up: true },
          { name: 'eth0', kind: 'veth', addrs: [`10.42.${i}.${p + 2}/24`], mac: '02:22:00:00:00:00', mtu: 1450, up: true, peer: { netns: 'root', dev: veth } },
        ],
      });
    }
    namespaces.unshift({ name: 'root', kind: 'root', devices: rootDevs });
    hosts.push({ name, role: i === 0 ? 'master' : 'node', ip: `192.168.205.${10 + i}`, podCIDR: `10.42.${i}.0/24`, namespaces });
  }
  hosts.push({ name: 'gateway', role: 'gateway', ip: '192.168.205.1', namespaces: [{ name: 'root', kind: 'root', devices: [{ name: 'eth0', kind: 'nic', addrs: ['192.168.205.1/24'], mac: '02:aa:00:00:00:01', mtu: 1500, up: true, segment: 'lan' }] }] });
  hosts.push({ name: 'client', role: 'client', ip: '192.168.205.100', namespaces: [{ name: 'root', kind: 'root', devices: [{ name: 'eth0', kind: 'nic', addrs: ['192.168.205.100/24'], mac: '02:aa:00:00:00:64', mtu: 1500, up: true, segment: 'lan' }] }] });
  const members = hosts.map((h) => ({ host: h.name, dev: h.role === 'gateway' || h.role === 'client' ? 'eth0' : 'enp0s1' }));
  const tunnels = [];
  if (vxlan) {
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b) tunnels.push({ fromHost: hosts[a]!.name, toHost: hosts[b]!.name, dev: 'flannel.1', vni: 1 });
  }
  return { hosts, segments: [{ name: 'lan', cidr: '192.168.205.0/24', members }], tunnels };
}
