import { describe, expect, it } from 'vitest';
import type { Ipv4, Mac } from './addr.ts';
import { fieldChanges, withDerivedChanges } from './diff.ts';
import { encode } from './encode.ts';
import type { Packet } from './packet.ts';

const ip = (s: string) => s as Ipv4;
const mac = (s: string) => s as Mac;
const syn: Packet = [
  { type: 'ethernet', src: mac('6e:a2:f0:91:db:b2'), dst: mac('8e:fa:47:1d:17:0e'), ethertype: 0x0800 },
  { type: 'ipv4', src: ip('10.42.0.65'), dst: ip('10.43.6.58'), ttl: 64, proto: 6, id: 0x1234, df: true, dsfield: 0 },
  { type: 'tcp', srcport: 41234, dstport: 80, seq: 1, ack: 0, flags: 0x02, window: 64240, options: [{ kind: 'mss', value: 1410 }] },
];
const withIp = (patch: Record<string, unknown>): Packet => syn.map((l) => (l.type === 'ipv4' ? { ...l, ...patch } : l)) as Packet;
const hex16 = (b: Uint8Array, off: number) => `0x${((b[off]! << 8) | b[off + 1]!).toString(16).padStart(4, '0')}`;

describe('changed fields read off the bytes', () => {
  it('a DNAT rewrites the destination, the IPv4 header checksum and the TCP checksum (pseudo-header)', () => {
    const after = withIp({ dst: ip('10.42.1.6') });
    const b0 = encode(syn);
    const b1 = encode(after);
    const changes = fieldChanges(syn, after);
    expect(changes.map((c) => `${c.layer}.${c.field}`).sort()).toEqual(['1.checksum', '1.dst', '2.checksum']);
    // the values are the checksums on the wire: Ethernet 14 + 10 for IPv4's, 14 + 20 + 16 for TCP's
    expect(changes.find((c) => c.layer === 1 && c.field === 'checksum')).toEqual({ layer: 1, field: 'checksum', from: hex16(b0, 24), to: hex16(b1, 24) });
    expect(changes.find((c) => c.layer === 2 && c.field === 'checksum')).toEqual({ layer: 2, field: 'checksum', from: hex16(b0, 50), to: hex16(b1, 50) });
  });

  it('a TTL decrement changes only the IPv4 header checksum with it (TCP does not cover the TTL)', () => {
    expect(fieldChanges(syn, withIp({ ttl: 63 })).map((c) => `${c.layer}.${c.field}`).sort()).toEqual(['1.checksum', '1.ttl']);
  });

  it('an encapsulation adds the outer headers with their lengths and checksums; the inner frame is unchanged', () => {
    const outer: Packet = [
      { type: 'ethernet', src: mac('9a:84:fe:34:bc:60'), dst: mac('a6:d2:0a:25:c3:e1'), ethertype: 0x0800 },
      { type: 'ipv4', src: ip('192.168.205.4'), dst: ip('192.168.205.3'), ttl: 64, proto: 17, id: 1, df: false, dsfield: 0 },
      { type: 'udp', srcport: 52453, dstport: 8472 },
      { type: 'vxlan', flags: 8, vni: 1 },
      ...syn,
    ];
    const changes = fieldChanges(syn, outer);
    expect(changes.every((c) => c.layer < 4 && c.from === undefined)).toBe(true);
    expect(changes).toContainEqual({ layer: 1, field: 'len', to: 20 + 8 + 8 + encode(syn).length });
    expect(changes).toContainEqual({ layer: 2, field: 'length', to: 8 + 8 + encode(syn).length });
  });

  it("keeps the model's own list first and adds only what it did not name", () => {
    const own = [{ layer: 1, field: 'dst', from: '10.43.6.58', to: '10.42.1.6' }];
    const all = withDerivedChanges(own, syn, withIp({ dst: ip('10.42.1.6') }));
    expect(all[0]).toBe(own[0]);
    expect(all.length).toBe(3);
    expect(withDerivedChanges([], syn, syn)).toEqual([]);
  });
});
