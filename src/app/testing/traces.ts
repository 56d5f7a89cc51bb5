import type { SimResult, FlowSpec } from '../../sim/api-types.ts';
import type { Packet } from '../../sim/net/packet.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import type { Ipv4, Mac } from '../../sim/net/addr.ts';
import { fakeTopology } from './fixtures.ts';

const ip = (s: string) => s as Ipv4;
const mac = (s: string) => s as Mac;

export const SYN: Packet = [
  { type: 'ethernet', src: mac('02:00:00:00:00:01'), dst: mac('0a:00:00:00:00:00'), ethertype: 0x0800 },
  { type: 'ipv4', src: ip('10.42.0.5'), dst: ip('10.43.6.58'), ttl: 64, proto: 6, id: 1, df: true, dsfield: 0 },
  { type: 'tcp', srcport: 40000, dstport: 80, seq: 1, ack: 0, flags: 0x02, window: 64240, options: [{ kind: 'mss', value: 1410 }] },
];

const dnat: Packet = SYN.map((l) => (l.type === 'ipv4' ? { ...l, dst: ip('10.42.1.6') } : l));

function ev(seq: number, e: Partial<TraceEvent> & Pick<TraceEvent, 'kind'>): TraceEvent {
  return { seq, packetId: 0, host: 'master', netns: 'root', packet: SYN, changed: [], explanation: `step ${seq}`, timeUs: seq * 10, ...e };
}

/** A small pod → ClusterIP trace: bridge, PREROUTING walk ending in DNAT, route, tx. */
export function fakeResult(backend: 'vxlan' | 'host-gw' = 'vxlan'): SimResult {
  const events: TraceEvent[] = [
    ev(0, { kind: 'send', netns: 'pod-0-0', dev: 'eth0' }),
    ev(1, { kind: 'veth', netns: 'pod-0-0', dev: 'eth0' }),
    ev(2, { kind: 'bridge', dev: 'cni0' }),
    ev(3, { kind: 'rule', hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'PREROUTING', row: 0, text: 'KUBE-SERVICES all -- * * 0.0.0.0/0 0.0.0.0/0' }, verdict: 'jump KUBE-SERVICES' }),
    ev(4, { kind: 'rule', hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SERVICES', row: 0, text: 'KUBE-SVC-7CWUT4JBGBRVUN2L tcp' }, verdict: 'jump KUBE-SVC-7CWUT4JBGBRVUN2L' }),
    ev(5, { kind: 'rule', hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SVC-7CWUT4JBGBRVUN2L', row: 0, text: 'KUBE-MARK-MASQ' }, verdict: 'no match' }),
    ev(6, { kind: 'rule', hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SVC-7CWUT4JBGBRVUN2L', row: 1, text: 'KUBE-SEP-U2YYZT2C3O6VM4EV' }, verdict: 'jump KUBE-SEP-U2YYZT2C3O6VM4EV' }),
    ev(7, { kind: 'rule', hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SEP-U2YYZT2C3O6VM4EV', row: 1, text: 'DNAT tcp to:10.42.1.6:80' }, verdict: 'DNAT to:10.42.1.6:80', packet: dnat, changed: [{ layer: 1, field: 'dst', from: '10.43.6.58', to: '10.42.1.6' }] }),
    ev(8, { kind: 'route', ref: { table: 'route', row: 2, text: backend === 'vxlan' ? '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink' : '10.42.1.0/24 via 192.168.205.11 dev enp0s1' }, packet: dnat }),
    ...(backend === 'vxlan'
      ? [ev(9, { kind: 'encap', dev: 'flannel.1', packet: dnat }), ev(10, { kind: 'tx', dev: 'enp0s1', packet: dnat, onWire: true })]
      : [ev(9, { kind: 'tx', dev: 'enp0s1', packet: dnat, onWire: true })]),
  ];
  const flow: FlowSpec = { from: 'pod-0-0', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' };
  return {
    trace: { events, verdict: 'delivered', packets: [{ packetId: 0, role: 'request', verdict: 'delivered', host: 'node1', netns: 'pod-1-0', rulesEvaluated: 9, rulesEvaluatedByHost: { node0: 9 } }] },
    topology: fakeTopology(3, 1, backend === 'vxlan'),
    tables: [
      {
        host: 'master',
        netns: 'root',
        routes: ['default via 192.168.205.1 dev enp0s1'],
        neigh: [],
        fdb: [],
        conntrack: [],
        nftables: [],
        ipvs: [],
        since: { neigh: [], fdb: [], conntrack: [] },
        conntrackVersions: [],
        iptables: [
          { table: 'nat', name: 'PREROUTING', policy: 'ACCEPT', references: 0, rules: [{ pkts: 298, bytes: 19090, text: 'all -- * * 0.0.0.0/0 0.0.0.0/0', target: 'KUBE-SERVICES' }] },
          { table: 'nat', name: 'KUBE-SVC-7CWUT4JBGBRVUN2L', references: 1, rules: [{ pkts: 0, bytes: 0, text: '', target: 'KUBE-MARK-MASQ' }, { pkts: 1, bytes: 60, text: '', target: 'KUBE-SEP-U2YYZT2C3O6VM4EV' }] },
        ],
      },
    ],
    modes: { proxy: 'iptables', backend, scheduler: 'rr' },
    presets: [{ id: 'pod-clusterip', label: 'pod → ClusterIP', flow }],
    notes: [],
    clusterNotes: [],
  };
}
