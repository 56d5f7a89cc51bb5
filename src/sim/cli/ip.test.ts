import { describe, expect, it } from 'vitest';
import { parseCidr, type Ipv4, type Mac } from '../net/addr.ts';
import { World } from '../linux/world.ts';
import type { NetNs } from '../linux/netns.ts';
import { cniAdd } from '../k8s/cni-bridge.ts';
import { flannelMtu, flannelUp } from '../k8s/flannel.ts';
import { provisionNode } from '../k8s/machines.ts';
import { parseCluster } from '../k8s/spec.ts';
import { SEED_CLUSTER_YAML } from '../scenarios/seed-cluster.ts';
import {
  brctlCommand,
  bridgeCommand,
  fdbLineIndex,
  fdbTable,
  ipCommand,
  neighLines,
  routeCommand,
  routeLines,
  type CommandResult,
} from './ip.ts';

/** The seed's three nodes as flanneld (vxlan) and the CNI bridge plugin leave them. */
function seedCluster(backend: 'vxlan' | 'host-gw' = 'vxlan') {
  const parsed = parseCluster(SEED_CLUSTER_YAML);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const spec = parsed.value;
  const world = new World(7);
  const nodes = new Map(spec.nodes.map((n) => [n.name, provisionNode(world, spec, n)] as const));
  const leases = spec.nodes.map((n) => ({ node: n.name, subnet: n.podCIDR, publicIP: n.internalIP, vtepMac: n.vtepMac ?? world.randomMac() }));
  for (const n of spec.nodes) flannelUp(world, nodes.get(n.name)!, n, leases, spec.flannel, backend);
  const pods = new Map<string, NetNs>();
  for (const n of spec.nodes) {
    const ns = nodes.get(n.name)!;
    for (const p of spec.pods.filter((x) => x.nodeName === n.name)) {
      pods.set(p.name, cniAdd(world, ns, p, { bridge: 'cni0', mtu: flannelMtu(backend, 1500), subnet: n.podCIDR, network: spec.flannel.network }));
    }
  }
  return { world, master: nodes.get('master')!, node1: nodes.get('node1')!, n8s9s: pods.get('nginx-test-7646687cc4-n8s9s')!, z8xnq: pods.get('nginx-test-7646687cc4-z8xnq')! };
}

function ok(r: CommandResult): string {
  if (!r.ok) throw new Error(`expected success, got: ${r.error}`);
  return r.output;
}

function err(r: CommandResult): string {
  if (r.ok) throw new Error(`expected an error, got: ${r.output}`);
  return r.error;
}

const lines = (s: string) => s.replace(/\n$/, '').split('\n');

/** Everything a mutation could touch, to prove a failed one changed nothing. */
function snapshot(ns: NetNs): string {
  return JSON.stringify({
    routes: ns.fib.routes,
    neigh: ns.neigh.entries,
    devs: [...ns.devices.values()].map((d) => ({
      name: d.name,
      up: d.up,
      mtu: d.mtu,
      addrs: d.addrs,
      master: d.master?.name,
      hairpin: d.hairpin,
      fdb: d.kind === 'bridge' || d.kind === 'vxlan' ? d.fdb : undefined,
      ports: d.kind === 'bridge' ? d.ports : undefined,
    })),
  });
}

describe('ip addr', () => {
  it('prints the seed line for the node address (seed §6: ip addr | grep 192.168.205.4)', () => {
    const { world, master, node1 } = seedCluster();
    expect(lines(ok(ipCommand(world, master, ['addr'])))).toContain('    inet 192.168.205.4/24 metric 100 brd 192.168.205.255 scope global dynamic enp0s1');
    expect(lines(ok(ipCommand(world, node1, ['addr'])))).toContain('    inet 192.168.205.3/24 metric 100 brd 192.168.205.255 scope global dynamic enp0s1');
  });

  it('prints each device in ifindex order with its flags, qdisc, state and qlen', () => {
    const { world, master } = seedCluster();
    const out = lines(ok(ipCommand(world, master, ['a'])));
    expect(out[0]).toBe('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000');
    expect(out[1]).toBe('    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00');
    expect(out[2]).toBe('    inet 127.0.0.1/8 scope host lo');
    expect(out[3]).toBe('       valid_lft forever preferred_lft forever');
    expect(out[4]).toBe('2: enp0s1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000');
    expect(out[5]).toMatch(/^ {4}link\/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff$/);
    expect(out[7]).toBe('       valid_lft 86157sec preferred_lft 86157sec');
    // flannel's vxlan device: no carrier management (UNKNOWN), TxQLen 0 so no qlen (the line keeps its blank)
    expect(out).toContain('3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default ');
    expect(out).toContain('    link/ether a6:3e:52:19:7c:d1 brd ff:ff:ff:ff:ff:ff');
    expect(out).toContain('    inet 10.42.0.0/32 scope global flannel.1');
    expect(out).toContain('4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000');
    expect(out).toContain('    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0');
  });

  it('names a veth by its peer ifindex on both sides, with the peer netns', () => {
    const { world, master, n8s9s } = seedCluster();
    const host = [...master.devices.values()].find((d) => d.kind === 'veth')!;
    const pod = n8s9s.dev('eth0')!;
    const hostOut = lines(ok(ipCommand(world, master, ['addr', 'show', 'dev', host.name])));
    expect(hostOut[0]).toBe(`${host.ifindex}: ${host.name}@if${pod.ifindex}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP group default `);
    expect(hostOut[1]).toMatch(new RegExp(`^ {4}link/ether ${host.mac} brd ff:ff:ff:ff:ff:ff link-netns cni-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
    expect(hostOut).toHaveLength(2);
    const podOut = lines(ok(ipCommand(world, n8s9s, ['addr'], { flavor: 'iproute2' })));
    expect(podOut).toContain(`${pod.ifindex}: eth0@if${host.ifindex}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default `);
    expect(podOut).toContain(`    link/ether ${pod.mac} brd ff:ff:ff:ff:ff:ff link-netnsid 0`);
    expect(podOut).toContain('    inet 10.42.0.65/24 brd 10.42.0.255 scope global eth0');
  });

  it('answers as busybox in a pod shell (seed §6: kubectl debug --image=busybox, then ip addr)', () => {
    const { world, master, n8s9s } = seedCluster();
    const host = [...master.devices.values()].find((d) => d.kind === 'veth')!;
    const pod = n8s9s.dev('eth0')!;
    expect(ok(ipCommand(world, n8s9s, ['addr']))).toBe(
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n' +
        '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n' +
        '    inet 127.0.0.1/8 scope host lo\n' +
        '       valid_lft forever preferred_lft forever\n' +
        // busybox looks the peer ifindex up in the pod's own namespace: not there, so M-DOWN
        `${pod.ifindex}: eth0@if${host.ifindex}: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue state UP \n` +
        `    link/ether ${pod.mac} brd ff:ff:ff:ff:ff:ff\n` +
        '    inet 10.42.0.65/24 brd 10.42.0.255 scope global eth0\n' +
        '       valid_lft forever preferred_lft forever\n',
    );
    expect(lines(ok(ipCommand(world, n8s9s, ['route'])))).toContain('10.42.0.0/24 dev eth0 scope link  src 10.42.0.65 ');
    expect(lines(ok(ipCommand(world, n8s9s, ['route'])))[0]).toBe('default via 10.42.0.1 dev eth0 ');
    expect(err(ipCommand(world, n8s9s, ['-d', 'link']))).toMatch(/^Usage: ip \[OPTIONS\] address\|route/);
  });

  it('filters by device, by -4 and prints -br', () => {
    const { world, master } = seedCluster();
    expect(lines(ok(ipCommand(world, master, ['address', 'show', 'enp0s1'])))[0]).toMatch(/^2: enp0s1:/);
    expect(err(ipCommand(world, master, ['addr', 'show', 'dev', 'eth9']))).toBe('Device "eth9" does not exist.');
    const v4 = lines(ok(ipCommand(world, master, ['-4', 'addr'])));
    expect(v4.some((l) => l.includes('link/ether'))).toBe(false);
    expect(v4.some((l) => l.includes('veth'))).toBe(false);
    expect(v4).toContain('    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0');
    expect(lines(ok(ipCommand(world, master, ['-br', 'a'])))[1]).toBe('enp0s1           UP             192.168.205.4/24 ');
  });
});

describe('ip -d link', () => {
  it('shows the vxlan details line flannel configured', () => {
    const { world, master } = seedCluster();
    const out = lines(ok(ipCommand(world, master, ['-d', 'link', 'show', 'flannel.1'])));
    expect(out[0]).toBe('3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default ');
    expect(out[1]).toBe('    link/ether a6:3e:52:19:7c:d1 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 ');
    expect(out[2]).toMatch(/^ {4}vxlan id 1 local 192\.168\.205\.4 dev enp0s1 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 /);
    // BIG TCP kernels (≥ 6.3) let a virtual device take 512 KiB TSO frames; a virtio NIC keeps 64 KiB
    expect(out[2]).toContain(' tso_max_size 524280 ');
    expect(ok(ipCommand(world, master, ['-d', 'link', 'show', 'enp0s1']))).toContain(' tso_max_size 65536 ');
  });

  it('shows a CNI port as veth + bridge_slave with hairpin on, and the bridge details', () => {
    const { world, master } = seedCluster();
    const veth = [...master.devices.values()].find((d) => d.kind === 'veth')!;
    const out = lines(ok(ipCommand(world, master, ['-details', 'link', 'show', 'dev', veth.name])));
    expect(out[1]).toContain(' promiscuity 1  allmulti 1 minmtu 68 maxmtu 65535 ');
    expect(out[2]).toBe('    veth ');
    expect(out[3]).toMatch(/^ {4}bridge_slave state forwarding priority 32 cost 2 hairpin on guard off .* port_no 0x1 /);
    const br = lines(ok(ipCommand(world, master, ['-d', 'link', 'show', 'cni0'])));
    expect(br[2]).toMatch(/^ {4}bridge forward_delay 1500 .* stp_state 0 .* vlan_filtering 0 /);
    expect(lines(ok(ipCommand(world, master, ['link', 'show', 'type', 'bridge'])))[0]).toMatch(/^4: cni0: /);
    expect(lines(ok(ipCommand(world, master, ['link', 'show', 'master', 'cni0']))).filter((l) => /^\d+: /.test(l))).toHaveLength(1);
  });
});

const SEED_ROUTES = [
  'default via 192.168.205.1 dev enp0s1 proto dhcp src 192.168.205.4 metric 100',
  '10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1',
  '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink',
  '10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink',
  '192.168.205.0/24 dev enp0s1 proto kernel scope link src 192.168.205.4 metric 100',
  '192.168.205.1 dev enp0s1 proto dhcp scope link src 192.168.205.4 metric 100',
];

describe('ip route', () => {
  it("prints master's table exactly as seed §3b, each line ending in print_route's blank", () => {
    const { world, master } = seedCluster();
    const out = ok(ipCommand(world, master, ['route']));
    expect(out).toBe(SEED_ROUTES.map((l) => `${l} \n`).join(''));
    for (const form of [['r'], ['route', 'show'], ['ro', 'list'], ['route', 'lst']]) expect(ok(ipCommand(world, master, form))).toBe(out);
  });

  it('routeLines(ns)[i] is fib.routes[i], the row a trace event references', () => {
    const { master } = seedCluster();
    const rl = routeLines(master);
    expect(rl).toHaveLength(master.fib.routes.length);
    const m = master.fib.lookup('10.42.1.9' as Ipv4)!;
    expect(rl[m.row]).toBe('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink ');
  });

  it('hides the field a selector fixes, and selects exact/root/match prefixes', () => {
    const { world, master } = seedCluster();
    expect(ok(ipCommand(world, master, ['route', 'show', 'dev', 'cni0']))).toBe('10.42.0.0/24 proto kernel scope link src 10.42.0.1 \n');
    expect(ok(ipCommand(world, master, ['route', 'show', '10.42.1.0/24']))).toBe('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink \n');
    expect(lines(ok(ipCommand(world, master, ['route', 'show', 'root', '10.42.0.0/16'])))).toHaveLength(3);
    expect(lines(ok(ipCommand(world, master, ['route', 'show', 'match', '10.42.1.9'])))).toEqual([`${SEED_ROUTES[0]} `, `${SEED_ROUTES[2]} `]);
    expect(ok(ipCommand(world, master, ['route', 'show', 'proto', 'dhcp']))).toContain('default via 192.168.205.1 dev enp0s1 src 192.168.205.4 metric 100 \n');
    expect(err(ipCommand(world, master, ['route', 'show', 'dev', 'eth7']))).toBe('Cannot find device "eth7"');
  });

  it('derives the local table from the addresses', () => {
    const { world, master } = seedCluster();
    const out = lines(ok(ipCommand(world, master, ['route', 'show', 'table', 'local'])));
    expect(out).toContain('local 10.42.0.0 dev flannel.1 proto kernel scope host src 10.42.0.0 ');
    expect(out).toContain('broadcast 10.42.0.255 dev cni0 proto kernel scope link src 10.42.0.1 ');
    expect(out).toContain('local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 ');
  });

  it('resolves `ip route get` like the kernel (seed §6: via 10.42.1.0 dev flannel.1 src 10.42.0.0)', () => {
    const { world, master, n8s9s } = seedCluster();
    expect(ok(ipCommand(world, master, ['route', 'get', '10.42.1.9']))).toBe('10.42.1.9 via 10.42.1.0 dev flannel.1 src 10.42.0.0 uid 0 \n    cache \n');
    expect(ok(ipCommand(world, master, ['route', 'get', '10.42.0.65']))).toBe('10.42.0.65 dev cni0 src 10.42.0.1 uid 0 \n    cache \n');
    expect(ok(ipCommand(world, master, ['route', 'get', '8.8.8.8']))).toBe('8.8.8.8 via 192.168.205.1 dev enp0s1 src 192.168.205.4 uid 0 \n    cache \n');
    expect(ok(ipCommand(world, master, ['route', 'get', '10.42.0.1']))).toBe('local 10.42.0.1 dev lo table local src 10.42.0.1 uid 0 \n    cache <local> \n');
    expect(ok(ipCommand(world, n8s9s, ['r', 'g', '10.42.1.9']))).toBe('10.42.1.9 via 10.42.0.1 dev eth0 src 10.42.0.65 uid 0 \n    cache \n');
    ok(ipCommand(world, master, ['route', 'del', 'default']));
    expect(err(ipCommand(world, master, ['route', 'get', '8.8.8.8']))).toBe('RTNETLINK answers: Network is unreachable');
  });

  it('prints host-gw routes through the NIC', () => {
    const { world, master } = seedCluster('host-gw');
    expect(lines(ok(ipCommand(world, master, ['route'])))).toContain('10.42.1.0/24 via 192.168.205.3 dev enp0s1 ');
  });
});

describe('route -n', () => {
  it('prints net-tools columns (seed §6 rows on master and node1)', () => {
    const { world, master, node1 } = seedCluster();
    const out = lines(ok(routeCommand(world, master, ['-n'])));
    expect(out[0]).toBe('Kernel IP routing table');
    expect(out[1]).toBe('Destination     Gateway         Genmask         Flags Metric Ref    Use Iface');
    expect(out).toContain('0.0.0.0         192.168.205.1   0.0.0.0         UG    100    0        0 enp0s1');
    expect(out).toContain('192.168.205.0   0.0.0.0         255.255.255.0   U     100    0        0 enp0s1');
    expect(out).toContain('192.168.205.1   0.0.0.0         255.255.255.255 UH    100    0        0 enp0s1');
    expect(out).toContain('10.42.1.0       10.42.1.0       255.255.255.0   UG    0      0        0 flannel.1');
    expect(lines(ok(routeCommand(world, node1, ['-n'])))).toContain('10.42.1.0       0.0.0.0         255.255.255.0   U     0      0        0 cni0');
  });

  it('names the default gateway without -n, and rejects unknown options', () => {
    const { world, master } = seedCluster();
    expect(lines(ok(routeCommand(world, master, [])))[2]).toBe('default         _gateway        0.0.0.0         UG    100    0        0 enp0s1');
    expect(err(routeCommand(world, master, ['-x']))).toMatch(/^route: invalid option -- 'x'/);
  });
});

describe('ip neigh', () => {
  it("prints flannel's permanent VTEP entries as seed §6 shows them", () => {
    const { world, master } = seedCluster();
    expect(ok(ipCommand(world, master, ['neighbo']))).toBe('10.42.1.0 dev flannel.1 lladdr 62:c8:a9:ce:ca:4e PERMANENT \n10.42.2.0 dev flannel.1 lladdr ee:87:b2:4a:fd:62 PERMANENT \n');
    expect(ok(ipCommand(world, master, ['neighbo', 'show', 'dev', 'flannel.1']))).toBe('10.42.1.0 lladdr 62:c8:a9:ce:ca:4e PERMANENT \n10.42.2.0 lladdr ee:87:b2:4a:fd:62 PERMANENT \n');
    expect(ok(ipCommand(world, master, ['n', 'show', '10.42.2.0']))).toBe('10.42.2.0 dev flannel.1 lladdr ee:87:b2:4a:fd:62 PERMANENT \n');
    expect(neighLines(master)[master.neigh.get('flannel.1', '10.42.1.0' as Ipv4)!.row]).toBe('10.42.1.0 dev flannel.1 lladdr 62:c8:a9:ce:ca:4e PERMANENT ');
  });

  it('leaves the lladdr out of a FAILED entry and ends each line with a blank, as iproute2 6.1 prints them (checked on a real kernel)', () => {
    const { world, master } = seedCluster();
    master.neigh.set({ ip: '10.42.0.99' as Ipv4, dev: 'cni0', state: 'FAILED' });
    expect(lines(ok(ipCommand(world, master, ['neigh'])))).toContain('10.42.0.99 dev cni0 FAILED ');
  });
});

describe('bridge fdb / brctl', () => {
  it('prints the VXLAN remotes as seed §6 shows them', () => {
    const { world, master } = seedCluster();
    const all = lines(ok(bridgeCommand(world, master, ['fdb', 'show'])));
    expect(all).toContain('62:c8:a9:ce:ca:4e dev flannel.1 dst 192.168.205.3 self permanent');
    expect(ok(bridgeCommand(world, master, ['fdb', 'show', 'dev', 'flannel.1']))).toBe('62:c8:a9:ce:ca:4e dst 192.168.205.3 self permanent\nee:87:b2:4a:fd:62 dst 192.168.205.5 self permanent\n');
  });

  it('prints bridge entries with master, local ones permanent, learned ones with an empty state', () => {
    const { world, master } = seedCluster();
    const br = master.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const veth = br.ports[0]!;
    br.fdb.push({ mac: '0a:58:0a:2a:00:41' as Mac, port: veth, permanent: false, local: false });
    const out = lines(ok(bridgeCommand(world, master, ['fdb'])));
    expect(out).toContain(`${br.mac} dev cni0 master cni0 permanent`);
    expect(out).toContain(`${master.dev(veth)!.mac} dev ${veth} master cni0 permanent`);
    expect(out).toContain(`0a:58:0a:2a:00:41 dev ${veth} master cni0 `);
    // with `br`: the bridge's and its port's entries, their multicast `self` entries included
    expect(lines(ok(bridgeCommand(world, master, ['fdb', 'show', 'br', 'cni0'])))).toHaveLength(9);
    expect(ok(bridgeCommand(world, master, ['fdb', 'show', 'brport', veth, 'state', 'dynamic']))).toBe('0a:58:0a:2a:00:41 master cni0 \n');
  });

  it('prints each Ethernet device\'s multicast addresses as self entries, in the order a real kernel lists them', () => {
    const { world, master } = seedCluster();
    const br = master.dev('cni0')!;
    const veth = br.kind === 'bridge' ? br.ports[0]! : '';
    expect(lines(ok(bridgeCommand(world, master, ['fdb', 'show'])))).toEqual([
      '33:33:00:00:00:01 dev enp0s1 self permanent',
      '01:00:5e:00:00:01 dev enp0s1 self permanent',
      // the VXLAN remotes in the seed's order (a kernel lists them in its hash table's order)
      '62:c8:a9:ce:ca:4e dev flannel.1 dst 192.168.205.3 self permanent',
      'ee:87:b2:4a:fd:62 dev flannel.1 dst 192.168.205.5 self permanent',
      '33:33:00:00:00:01 dev cni0 self permanent',
      '01:00:5e:00:00:6a dev cni0 self permanent',
      '33:33:00:00:00:6a dev cni0 self permanent',
      '01:00:5e:00:00:01 dev cni0 self permanent',
      `${br.mac} dev cni0 master cni0 permanent`,
      `${master.dev(veth)!.mac} dev ${veth} master cni0 permanent`,
      `33:33:00:00:00:01 dev ${veth} self permanent`,
      `01:00:5e:00:00:01 dev ${veth} self permanent`,
    ]);
    // a device that is down has joined only IPv6's all-nodes group
    ok(ipCommand(world, master, ['link', 'set', veth, 'down']));
    expect(lines(ok(bridgeCommand(world, master, ['fdb', 'show', 'dev', veth])))).toEqual([`${master.dev(veth)!.mac} master cni0 permanent`, '33:33:00:00:00:01 self permanent']);
  });

  it('maps a trace event FDB reference (table, dev, row) to its line', () => {
    const { master } = seedCluster();
    const t = fdbTable(master);
    const vx = master.dev('flannel.1');
    if (vx?.kind !== 'vxlan') throw new Error('no flannel.1');
    const i = fdbLineIndex(master, 'fdb', 'flannel.1', 1);
    expect(t.lines[i]).toBe('ee:87:b2:4a:fd:62 dev flannel.1 dst 192.168.205.5 self permanent');
    const br = master.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const j = fdbLineIndex(master, 'bridge-fdb', 'cni0', br.fdb.findIndex((e) => e.port === 'cni0'));
    expect(t.lines[j]).toBe(`${br.mac} dev cni0 master cni0 permanent`);
    expect(fdbLineIndex(master, 'fdb', 'flannel.1', 9)).toBe(-1);
  });

  it('brctl show lists ports alphabetically on continuation lines', () => {
    const { world, node1 } = seedCluster();
    const br = node1.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const [a, b] = [...br.ports].sort();
    expect(ok(brctlCommand(world, node1, ['show']))).toBe(`bridge name\tbridge id\t\tSTP enabled\tinterfaces\ncni0\t\t8000.${br.mac.replace(/:/g, '')}\tno\t\t${a}\n\t\t\t\t\t\t\t${b}\n`);
    expect(err(brctlCommand(world, node1, ['frobnicate']))).toBe('never heard of command [frobnicate]');
  });
});

describe('ip route add/del/replace', () => {
  it('adds, replaces and deletes main-table routes', () => {
    const { world, master } = seedCluster();
    ok(ipCommand(world, master, ['route', 'add', '10.99.0.0/16', 'via', '192.168.205.3']));
    expect(ok(ipCommand(world, master, ['route']))).toContain('10.99.0.0/16 via 192.168.205.3 dev enp0s1 \n');
    ok(ipCommand(world, master, ['route', 'replace', '10.99.0.0/16', 'via', '192.168.205.5', 'proto', 'static', 'metric', '0']));
    expect(ok(ipCommand(world, master, ['route', 'show', '10.99.0.0/16']))).toBe('10.99.0.0/16 via 192.168.205.5 dev enp0s1 proto static \n');
    ok(ipCommand(world, master, ['route', 'add', '10.98.0.0/16', 'dev', 'cni0', 'src', '10.42.0.1', 'metric', '5']));
    expect(ok(ipCommand(world, master, ['route', 'show', '10.98.0.0/16']))).toBe('10.98.0.0/16 dev cni0 scope link src 10.42.0.1 metric 5 \n');
    ok(ipCommand(world, master, ['route', 'del', '10.99.0.0/16']));
    ok(ipCommand(world, master, ['route', 'delete', '10.98.0.0/16', 'metric', '5']));
    expect(ok(ipCommand(world, master, ['route']))).toBe(SEED_ROUTES.map((l) => `${l} \n`).join(''));
  });

  it('changes where a packet goes: deleting the flannel route sends 10.42.1.9 to the default gateway', () => {
    const { world, master } = seedCluster();
    const r = ipCommand(world, master, ['route', 'del', '10.42.1.0/24']);
    expect(r).toEqual({ ok: true, output: '', mutates: true });
    expect(master.fib.lookup('10.42.1.9' as Ipv4)!.route.via).toBe('192.168.205.1');
    // flannel's own form comes back
    ok(ipCommand(world, master, ['route', 'add', '10.42.1.0/24', 'via', '10.42.1.0', 'dev', 'flannel.1', 'onlink']));
    expect(routeLines(master)).toContain('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink ');
  });

  it.each([
    [['route', 'add', '10.42.1.0/24', 'via', '10.42.1.0', 'dev', 'flannel.1', 'onlink'], 'RTNETLINK answers: File exists'],
    [['route', 'del', '10.77.0.0/16'], 'RTNETLINK answers: No such process'],
    [['route', 'del', '10.42.1.0/24', 'via', '10.42.2.0'], 'RTNETLINK answers: No such process'],
    [['route', 'add', '10.77.0.0/16', 'via', '10.42.1.0'], 'Error: Nexthop has invalid gateway.'],
    [['route', 'add', '10.77.0.0/16', 'via', '192.168.205.3', 'dev', 'cni0'], 'Error: Nexthop has invalid gateway.'],
    [['route', 'add', '10.77.0.0/16', 'via', '10.42.7.0', 'onlink'], 'Error: Nexthop device required for onlink.'],
    [['route', 'add', '10.77.0.0/16', 'onlink', 'dev', 'flannel.1'], 'Error: Invalid flags for nexthop - PERVASIVE and ONLINK can not be set.'],
    [['route', 'add', '10.77.0.0/16', 'dev', 'eth9'], 'Cannot find device "eth9"'],
    [['route', 'add', '10.77.0.0/16'], 'RTNETLINK answers: No such device'],
    [['route', 'add', '10.77.0.0/16', '10.78.0.0/16', 'dev', 'cni0'], 'Error: either "to" is duplicate, or "10.78.0.0/16" is a garbage.'],
    [['route', 'add', 'nowhere', 'dev', 'cni0'], 'Error: any valid prefix is expected rather than "nowhere".'],
    [['route', 'add', '10.77.0.0/16', 'via', 'gw'], 'Error: inet address is expected rather than "gw".'],
    [['route', 'add', '10.77.0.5/16', 'dev', 'cni0'], 'Error: Invalid prefix for given prefix length.'],
    [['route', 'add', '10.77.0.0/16', 'dev', 'cni0', 'src', '10.9.9.9'], 'Error: Invalid prefsrc address.'],
    [['route', 'add', '10.77.0.0/16', 'dev', 'cni0', 'metric', 'high'], 'Error: argument "high" is wrong: "metric" value is invalid'],
    [['route', 'add', '10.77.0.0/16', 'dev'], 'Command line is not complete. Try option "help"'],
    [['route', 'frob'], 'Command "frob" is unknown, try "ip route help".'],
  ])('ip %j fails with the real message and changes nothing', (argv, message) => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(ipCommand(world, master, argv))).toBe(message);
    expect(snapshot(master)).toBe(before);
  });
});

describe('ip neigh add/replace/del', () => {
  it('adds, replaces and deletes entries, keeping their rows', () => {
    const { world, master } = seedCluster();
    ok(ipCommand(world, master, ['neigh', 'add', '10.42.0.70', 'lladdr', '0A:58:0A:2A:00:46', 'dev', 'cni0']));
    expect(neighLines(master)[2]).toBe('10.42.0.70 dev cni0 lladdr 0a:58:0a:2a:00:46 PERMANENT ');
    // the seed's other capture of node2's VTEP MAC, written over flannel's
    ok(ipCommand(world, master, ['neigh', 'replace', '10.42.2.0', 'lladdr', 'ca:cb:1f:99:10:97', 'dev', 'flannel.1', 'nud', 'permanent']));
    expect(neighLines(master)[1]).toBe('10.42.2.0 dev flannel.1 lladdr ca:cb:1f:99:10:97 PERMANENT ');
    ok(ipCommand(world, master, ['neigh', 'change', '10.42.0.70', 'dev', 'cni0', 'nud', 'stale']));
    expect(neighLines(master)[2]).toBe('10.42.0.70 dev cni0 lladdr 0a:58:0a:2a:00:46 STALE ');
    ok(ipCommand(world, master, ['neigh', 'del', '10.42.1.0', 'dev', 'flannel.1']));
    expect(master.neigh.get('flannel.1', '10.42.1.0' as Ipv4)).toBeUndefined();
  });

  it.each([
    [['neigh', 'add', '10.42.1.0', 'lladdr', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1'], 'RTNETLINK answers: File exists'],
    [['neigh', 'del', '10.42.9.0', 'dev', 'flannel.1'], 'RTNETLINK answers: No such file or directory'],
    [['neigh', 'change', '10.42.9.0', 'lladdr', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1'], 'RTNETLINK answers: No such file or directory'],
    [['neigh', 'add', '10.42.9.0', 'lladdr', '62:c8:a9:ce:ca:4e'], 'Device and destination are required arguments.'],
    [['neigh', 'add', '10.42.9.0', 'lladdr', 'zz:zz', 'dev', 'flannel.1'], '"zz:zz" is invalid lladdr.'],
    [['neigh', 'add', '10.42.9.0', 'dev', 'flannel.1'], 'Error: No link layer address given.'],
    [['neigh', 'add', '10.42.9.0', 'lladdr', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.9'], 'Cannot find device "flannel.9"'],
    [['neigh', 'add', '10.42.9.0', 'lladdr', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1', 'nud', 'sleepy'], 'Error: argument "sleepy" is wrong: nud state is bad'],
  ])('ip %j fails with the real message and changes nothing', (argv, message) => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(ipCommand(world, master, argv))).toBe(message);
    expect(snapshot(master)).toBe(before);
  });

  it('flush spares permanent entries', () => {
    const { world, master } = seedCluster();
    master.neigh.set({ ip: '10.42.0.65' as Ipv4, dev: 'cni0', lladdr: '0a:58:0a:2a:00:41' as Mac, state: 'REACHABLE' });
    ok(ipCommand(world, master, ['neigh', 'flush', 'dev', 'cni0']));
    ok(ipCommand(world, master, ['neigh', 'flush', 'dev', 'flannel.1']));
    expect(master.neigh.entries).toHaveLength(2);
  });
});

describe('bridge fdb add/append/del', () => {
  it('programs VXLAN remotes with self and a bridge with master', () => {
    const { world, master } = seedCluster();
    ok(bridgeCommand(world, master, ['fdb', 'del', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1']));
    expect(ok(bridgeCommand(world, master, ['fdb', 'show', 'dev', 'flannel.1']))).toBe('ee:87:b2:4a:fd:62 dst 192.168.205.5 self permanent\n');
    ok(bridgeCommand(world, master, ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'flannel.1', 'dst', '192.168.205.3']));
    ok(bridgeCommand(world, master, ['fdb', 'add', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1', 'dst', '192.168.205.3', 'self', 'permanent']));
    expect(ok(bridgeCommand(world, master, ['fdb', 'show', 'dev', 'flannel.1']))).toBe(
      'ee:87:b2:4a:fd:62 dst 192.168.205.5 self permanent\n00:00:00:00:00:00 dst 192.168.205.3 self permanent\n62:c8:a9:ce:ca:4e dst 192.168.205.3 self permanent\n',
    );
    const br = master.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const veth = br.ports[0]!;
    ok(bridgeCommand(world, master, ['fdb', 'add', '0a:58:0a:2a:00:41', 'dev', veth, 'master', 'static']));
    expect(ok(bridgeCommand(world, master, ['fdb', 'show', 'dev', veth]))).toContain('0a:58:0a:2a:00:41 master cni0 static\n');
    ok(bridgeCommand(world, master, ['fdb', 'del', '0a:58:0a:2a:00:41', 'dev', veth, 'master']));
    expect(br.fdb.some((e) => e.mac === '0a:58:0a:2a:00:41')).toBe(false);
  });

  it.each([
    [['fdb', 'add', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1', 'dst', '192.168.205.3'], 'RTNETLINK answers: File exists'],
    [['fdb', 'add', '62:c8:a9:ce:ca:4f', 'dev', 'flannel.1'], 'RTNETLINK answers: Invalid argument'],
    [['fdb', 'del', '62:c8:a9:ce:ca:4f', 'dev', 'flannel.1'], 'RTNETLINK answers: No such file or directory'],
    [['fdb', 'del', '62:c8:a9:ce:ca:4e', 'dev', 'flannel.1', 'dst', '192.168.205.5'], 'RTNETLINK answers: No such file or directory'],
    [['fdb', 'add', '62:c8:a9:ce:ca:4e'], 'Device and address are required arguments.'],
    [['fdb', 'add', 'nope', 'dev', 'flannel.1'], 'Invalid mac address nope'],
    [['fdb', 'add', '62:c8:a9:ce:ca:4f', 'dev', 'flannel.7', 'dst', '192.168.205.3'], 'Cannot find device "flannel.7"'],
    [['fdb', 'add', '62:c8:a9:ce:ca:4f', 'dev', 'enp0s1', 'master'], 'RTNETLINK answers: Invalid argument'],
    [['fdb', 'frob'], 'Command "frob" is unknown, try "bridge fdb help".'],
    [['mumble'], 'Object "mumble" is unknown, try "bridge help".'],
  ])('bridge %j fails with the real message and changes nothing', (argv, message) => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(bridgeCommand(world, master, argv))).toBe(message);
    expect(snapshot(master)).toBe(before);
  });

  it('bridge link set flips hairpin mode on a port', () => {
    const { world, master } = seedCluster();
    const br = master.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const veth = br.ports[0]!;
    expect(ok(bridgeCommand(world, master, ['link']))).toMatch(new RegExp(`^\\d+: ${veth}@if\\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 master cni0 state forwarding priority 32 cost 2 \\n$`));
    ok(bridgeCommand(world, master, ['link', 'set', 'dev', veth, 'hairpin', 'off']));
    expect(master.dev(veth)!.hairpin).toBe(false);
  });
});

describe('ip link set', () => {
  it('limits a vxlan MTU to the lower device MTU minus 50 (vxlan_change_mtu)', () => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(ipCommand(world, master, ['link', 'set', 'flannel.1', 'mtu', '1451']))).toBe('RTNETLINK answers: Invalid argument');
    expect(err(ipCommand(world, master, ['link', 'set', 'dev', 'flannel.1', 'mtu', '70000', 'up']))).toBe('Error: mtu greater than device maximum.');
    expect(err(ipCommand(world, master, ['link', 'set', 'flannel.1', 'mtu', '60']))).toBe('Error: mtu less than device minimum.');
    expect(err(ipCommand(world, master, ['link', 'set', 'flannel.1', 'mtu', 'big']))).toBe('Error: argument "big" is wrong: Invalid "mtu" value');
    expect(snapshot(master)).toBe(before);
    ok(ipCommand(world, master, ['link', 'set', 'flannel.1', 'mtu', '1400']));
    expect(master.dev('flannel.1')!.mtu).toBe(1400);
  });

  it('down removes the device routes and neighbours; up restores only the kernel prefix routes', () => {
    const { world, master } = seedCluster();
    ok(ipCommand(world, master, ['link', 'set', 'flannel.1', 'down']));
    expect(ok(ipCommand(world, master, ['link', 'show', 'flannel.1']))).toMatch(/^3: flannel\.1: <BROADCAST,MULTICAST> mtu 1450 qdisc noqueue state DOWN mode DEFAULT group default \n/);
    expect(routeLines(master).some((l) => l.includes('flannel.1'))).toBe(false);
    expect(master.neigh.entries).toHaveLength(0);
    const vx = master.dev('flannel.1');
    if (vx?.kind !== 'vxlan') throw new Error('no flannel.1');
    expect(vx.fdb).toHaveLength(2); // permanent remotes survive vxlan_flush(do_all = false)
    ok(ipCommand(world, master, ['link', 'set', 'flannel.1', 'up']));
    expect(routeLines(master).some((l) => l.includes('flannel.1'))).toBe(false); // a /32 has no prefix route; flannel must re-add its routes
    ok(ipCommand(world, master, ['link', 'set', 'enp0s1', 'down']));
    ok(ipCommand(world, master, ['link', 'set', 'enp0s1', 'up']));
    expect(routeLines(master)).toContain('192.168.205.0/24 dev enp0s1 proto kernel scope link src 192.168.205.4 metric 100 ');
    expect(routeLines(master).some((l) => l.startsWith('default'))).toBe(false); // DHCP routes are networkd's, not the kernel's
  });

  it("a pod's eth0 going down takes the carrier from the host veth (NO-CARRIER, linkdown)", () => {
    const { world, master, n8s9s } = seedCluster();
    ok(ipCommand(world, n8s9s, ['link', 'set', 'eth0', 'down']));
    const veth = [...master.devices.values()].find((d) => d.kind === 'veth')!;
    expect(lines(ok(ipCommand(world, master, ['link', 'show', veth.name])))[0]).toContain('<NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1450 qdisc noqueue master cni0 state LOWERLAYERDOWN');
    // cni0 has no other forwarding port on master: it loses carrier and its route is marked linkdown
    expect(routeLines(master)).toContain('10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1 linkdown ');
  });

  it('a bridge follows its smallest port MTU until the user sets its own', () => {
    const { world, node1 } = seedCluster();
    const br = node1.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    ok(ipCommand(world, node1, ['link', 'set', br.ports[0]!, 'mtu', '1400']));
    expect(br.mtu).toBe(1400);
    ok(ipCommand(world, node1, ['link', 'set', 'cni0', 'mtu', '1450']));
    ok(ipCommand(world, node1, ['link', 'set', br.ports[1]!, 'mtu', '1300']));
    expect(br.mtu).toBe(1450);
  });

  it('nomaster takes a port off the bridge with its FDB entries', () => {
    const { world, master } = seedCluster();
    const br = master.dev('cni0');
    if (br?.kind !== 'bridge') throw new Error('no cni0');
    const veth = br.ports[0]!;
    ok(ipCommand(world, master, ['link', 'set', veth, 'nomaster']));
    expect(br.ports).toEqual([]);
    expect(br.fdb.every((e) => e.port === 'cni0')).toBe(true);
    ok(ipCommand(world, master, ['link', 'set', veth, 'master', 'cni0']));
    expect(br.ports).toEqual([veth]);
  });

  it.each([
    [['link', 'set', 'eth9', 'up'], 'Cannot find device "eth9"'],
    [['link', 'set', 'up'], 'Not enough of information: "dev" argument is required.'],
    [['link', 'set', 'cni0', 'sideways'], 'Error: either "dev" is duplicate, or "sideways" is a garbage.'],
    [['link', 'set', 'cni0', 'master', 'br9'], 'Error: argument "br9" is wrong: Device does not exist'],
  ])('ip %j fails with the real message', (argv, message) => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(ipCommand(world, master, argv))).toBe(message);
    expect(snapshot(master)).toBe(before);
  });
});

describe('ip addr add/del', () => {
  it('adds an address with its prefix route; a second one in the subnet is secondary', () => {
    const { world, master } = seedCluster();
    ok(ipCommand(world, master, ['addr', 'add', '10.50.0.1/24', 'dev', 'cni0']));
    ok(ipCommand(world, master, ['addr', 'add', '10.50.0.2/24', 'brd', '+', 'dev', 'cni0']));
    const out = lines(ok(ipCommand(world, master, ['addr', 'show', 'cni0'])));
    expect(out).toContain('    inet 10.50.0.1/24 scope global cni0');
    expect(out).toContain('    inet 10.50.0.2/24 brd 10.50.0.255 scope global secondary cni0');
    expect(routeLines(master).filter((l) => l.startsWith('10.50.0.0/24'))).toEqual(['10.50.0.0/24 dev cni0 proto kernel scope link src 10.50.0.1 ']);
    // deleting the primary promotes the secondary, which takes over the prefix route
    ok(ipCommand(world, master, ['addr', 'del', '10.50.0.1/24', 'dev', 'cni0']));
    expect(routeLines(master).filter((l) => l.startsWith('10.50.0.0/24'))).toEqual(['10.50.0.0/24 dev cni0 proto kernel scope link src 10.50.0.2 ']);
  });

  it('deleting the node address takes the routes preferring it (fib_sync_down_addr)', () => {
    const { world, master } = seedCluster();
    ok(ipCommand(world, master, ['addr', 'del', '192.168.205.4/24', 'dev', 'enp0s1']));
    expect(routeLines(master).some((l) => l.includes('192.168.205.4'))).toBe(false);
    const r = ipCommand(world, master, ['addr', 'del', '10.42.0.1', 'dev', 'cni0']);
    expect(ok(r)).toMatch(/^Warning: Executing wildcard deletion/);
  });

  it('flush removes every address of the device and their routes', () => {
    const { world, master } = seedCluster();
    expect(err(ipCommand(world, master, ['addr', 'flush']))).toBe('Flush requires arguments.');
    expect(ipCommand(world, master, ['addr', 'flush', 'dev', 'cni0'])).toEqual({ ok: true, output: '', mutates: true });
    expect(master.dev('cni0')!.addrs).toEqual([]);
    expect(routeLines(master).some((l) => l.includes('cni0'))).toBe(false);
  });

  it.each([
    [['addr', 'add', '10.42.0.1/24', 'dev', 'cni0'], 'RTNETLINK answers: File exists'],
    [['addr', 'del', '10.42.0.9/24', 'dev', 'cni0'], 'RTNETLINK answers: Cannot assign requested address'],
    [['addr', 'add', '10.50.0.1/24'], 'Not enough information: "dev" argument is required.'],
    [['addr', 'add', '10.50.0.1/24', 'dev', 'cni9'], 'Cannot find device "cni9"'],
    [['addr', 'add', 'ten/24', 'dev', 'cni0'], 'Error: any valid prefix is expected rather than "ten/24".'],
    [['address', 'wiggle'], 'Command "wiggle" is unknown, try "ip address help".'],
  ])('ip %j fails with the real message and changes nothing', (argv, message) => {
    const { world, master } = seedCluster();
    const before = snapshot(master);
    expect(err(ipCommand(world, master, argv))).toBe(message);
    expect(snapshot(master)).toBe(before);
  });
});

describe('ip front-end', () => {
  it('rejects unknown objects and options with iproute2 words', () => {
    const { world, master } = seedCluster();
    expect(err(ipCommand(world, master, ['foo']))).toBe('Object "foo" is unknown, try "ip help".');
    expect(err(ipCommand(world, master, ['-z', 'addr']))).toBe('Option "-z" is unknown, try "ip -help".');
    expect(err(ipCommand(world, master, ['neigh', 'frob']))).toBe('Command "frob" is unknown, try "ip neigh help".');
    expect(err(ipCommand(world, master, ['link', 'frob']))).toBe('Command "frob" is unknown, try "ip link help".');
    expect(err(ipCommand(world, master, ['rule']))).toMatch(/^kube-packet-lab: /);
  });

  it('works on a hand-built namespace (World API only)', () => {
    const world = new World(1);
    const ns = world.createNs('h', 'root', 'root');
    const nic = world.addNic(ns, 'eth0', 'lan', '52:54:00:12:34:56' as Mac);
    ns.addAddress(nic, { addr: '10.0.0.2' as Ipv4, prefixLen: 24 });
    ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: '10.0.0.1' as Ipv4, dev: 'eth0', proto: 'static', scope: 'global', type: 'unicast' });
    expect(ok(ipCommand(world, ns, ['route']))).toBe('default via 10.0.0.1 dev eth0 proto static \n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2 \n');
    expect(ok(ipCommand(world, ns, ['link', 'show', 'eth0']))).toBe(
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n',
    );
  });
});
