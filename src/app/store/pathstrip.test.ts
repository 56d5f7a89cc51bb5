import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/api.ts';
import type { SimRequest } from '../../sim/api-types.ts';
import { pathStrip } from './pathstrip.ts';

const base: SimRequest = { preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } };
const strip = (req: SimRequest, packetId = 0) => {
  const r = simulate(req);
  if (!r.ok) throw new Error(r.error.message);
  return pathStrip(r.value.trace.events, packetId).map((x) => (x.type === 'place' ? `[${x.host}${x.netns === 'root' ? '' : ` ${x.netns}`}]` : x.type === 'dev' ? x.dev : x.type === 'change' ? `(${x.text})` : `= ${x.text}`));
};

describe('path strip', () => {
  it('pod → ClusterIP over VXLAN: the hosts and devices crossed, with the DNAT (at the bridge port, by br_netfilter), the TTLs and the 50 bytes', () => {
    expect(strip(base).join(' ')).toMatch(
      /^\[master nginx-test-7646687cc4-n8s9s\] eth0 \[master\] veth\w+ \(DNAT 10\.43\.6\.58 → 10\.42\.(1|2)\.6\) cni0 \(TTL 64 → 63\) flannel\.1 \(VXLAN \+50 B\) enp0s1 \[node(1|2)\] enp0s1 \(decapsulated\) flannel\.1 \(TTL 63 → 62\) cni0 veth\w+ \[node(1|2) nginx-test-7646687cc4-\w+\] eth0 = delivered$/,
    );
  });

  it('client → NodePort: the node masquerades the client', () => {
    const s = strip({ ...base, flow: { from: 'client', to: '192.168.205.4:32506', proto: 'tcp', kind: 'connect' } });
    expect(s).toContain('(DNAT 192.168.205.4:32506 → 10.42.1.6:80)');
    expect(s.some((x) => /^\(MASQUERADE → 10\.42\.0\.0\)$/.test(x))).toBe(true);
  });

  it('IPIP and flannel udp: the tunnel named, with the bytes it adds', () => {
    const ipip = strip({ ...base, modes: { ...base.modes, backend: 'ipip' } }).join(' ');
    expect(ipip).toContain('(IPIP +20 B)');
    expect(strip({ ...base, modes: { ...base.modes, backend: 'udp' } }).join(' ')).toMatch(/\(UDP \+\d+ B\)/);
  });

  it('the reply is un-NATed back to the ClusterIP', () => {
    expect(strip(base, 1)).toContainEqual(expect.stringMatching(/^\(un-NAT src 10\.42\.\d\.6 → 10\.43\.6\.58\)$/));
  });
});
