import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, simulate } from '../api.ts';
import type { FlowSpec } from '../api-types.ts';
import { execCommand } from '../cli/exec.ts';
import type { Ipv4Layer } from '../net/packet.ts';
import { assertTraceInvariants, FUZZ_SEED } from './hostile.ts';

/**
 * Command lines and edit sequences as a careless user types them: the seed's commands with
 * hostile flags, values and names, piped through grep and head; then random edits (routes,
 * links, rules, objects deleted) before a random flow. Every line answers with output or the
 * tool's message; every trace ends delivered or dropped with a reason; a connection that is
 * answered is answered from the address dialled; the same seed gives the same trace.
 */
const POD = 'nginx-test-7646687cc4-n8s9s';
const c = (() => {
  const r = loadScenario({ preset: 'seed', modes: {}, seed: 1, before: [] });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();

const word = fc.oneof(
  fc.constantFrom('-n', '-m', '-c', '-s', '-t', '-w', '-A', '-B', '-v', '-E', '-F', '-L', '-S', '-nvL', 'nat', 'filter', 'bogus', '__proto__', 'constructor', 'route', 'addr', 'link', 'neigh', 'show', 'del', 'add', 'dev', 'via', 'cni0', 'flannel.1', 'enp0s1', 'pod', 'svc', 'get', 'delete', 'describe', 'service', '10.42.1.9', '10.43.6.58', '255.255.255.255', '0', '-1', '1e2', '255', '256', '100000', 'abc', 'net.ipv4.ip_forward', 'net.ipv4.ip_forward=0', '__proto__=1', '(.*){1,32000}[bc]', '"(.*){1,1000}[bc]"', 'KUBE-SVC', "'", '"', '|', '\u001b[2J'),
  fc.string({ maxLength: 12 }),
);
const program = fc.constantFrom('ip', 'bridge', 'route', 'iptables', 'iptables-save', 'conntrack', 'sysctl', 'ping', 'traceroute', 'kubectl', 'ipvsadm', 'ipset', 'brctl', 'hostname', 'docker', 'grep', 'nope');
const line = fc.tuple(program, fc.array(word, { maxLength: 6 }), fc.option(fc.tuple(fc.constantFrom('grep', 'head', 'grep -E', 'grep -A', 'head -n', 'sort'), fc.array(word, { maxLength: 3 })))).map(([p, args, pipe]) => `${p} ${args.join(' ')}${pipe ? ` | ${pipe[0]} ${pipe[1].join(' ')}` : ''}`);

export const COMMAND_RUNS = 400;
export const EDIT_RUNS = 120;

describe('fuzz: command lines', () => {
  it(`${COMMAND_RUNS} hostile command lines on a host and in a pod: output or the tool's message, never a throw`, () => {
    fc.assert(
      fc.property(fc.constantFrom('master', 'node1', POD, 'client'), line, (target, l) => {
        const r = execCommand(c, target, l);
        if (r.ok) {
          expect(r.value.output.length).toBeLessThan(5_000_000);
          expect(r.value.output).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
        } else expect(r.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: COMMAND_RUNS, seed: FUZZ_SEED },
    );
  });
});

const edit = fc.constantFrom(
  'master: ip route del 10.42.1.0/24',
  'master: ip route add 10.99.0.0/16 via 192.168.205.3',
  'node1: ip route add 10.99.0.0/16 via 192.168.205.5',
  'node2: ip route add 10.99.0.0/16 via 192.168.205.3',
  'node1: ip route add 10.99.0.0/16 via 192.168.205.4',
  'node1: ip link set flannel.1 down',
  'master: ip link set cni0 down',
  'node2: ip neigh flush dev flannel.1',
  'master: bridge fdb del 62:c8:a9:ce:ca:4e dev flannel.1',
  'node1: sysctl -w net.ipv4.ip_forward=0',
  'master: iptables -t nat -F',
  'master: iptables -I FORWARD -j DROP',
  'node1: iptables -t nat -F KUBE-SERVICES',
  'master: kubectl delete pod nginx-test-7646687cc4-z8xnq',
  'master: kubectl delete service nginx-test',
  'master: kubectl delete pod',
  'master: ip link set dev flannel.1 mtu 1000',
  'bogus: ip route',
  'master: traceroute -m 0 10.42.1.9',
);
const flow = fc.record({
  to: fc.constantFrom('10.43.6.58:80', '10.42.1.9:80', '10.42.2.6:80', '192.168.205.4:32506', '10.99.0.7:80', '255.255.255.255', '192.168.205.100:22', 'nginx-test'),
  kind: fc.constantFrom('connect' as const, 'ping' as const, 'traceroute' as const),
  proto: fc.constantFrom('tcp' as const, 'udp' as const),
  from: fc.constantFrom(POD, 'nginx-test-7646687cc4-z8xnq', 'master', 'client'),
});

describe('fuzz: edit sequences', () => {
  it(`${EDIT_RUNS} edit sequences then a flow: verdicts with reasons, replies from the address dialled, same seed same trace`, () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 4 }), flow, fc.integer({ min: 1, max: 1000 }), (before, f, seed) => {
        const spec: FlowSpec = { from: f.from, to: f.kind === 'connect' ? f.to : f.to.split(':')[0]!, kind: f.kind, proto: f.kind === 'ping' ? 'icmp' : f.kind === 'traceroute' ? 'udp' : f.proto };
        const req = { preset: 'seed', modes: {}, seed, before, flow: spec };
        const r = simulate(req);
        if (!r.ok) {
          expect(r.error.message.length).toBeGreaterThan(0);
          return;
        }
        const t = r.value.trace;
        assertTraceInvariants(t);
        // an answered connection is answered from the address (and port) that was dialled
        const reply = t.packets.find((p) => p.role === 'reply' && p.verdict === 'delivered');
        if (spec.kind === 'connect' && reply && /^\d+\.\d+\.\d+\.\d+:\d+$/.test(spec.to)) {
          const last = t.events.filter((e) => e.packetId === reply.packetId).at(-1)!;
          const ip = last.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
          const l4 = last.packet.find((l) => l.type === 'tcp' || l.type === 'udp');
          expect(`${ip.src}:${l4 && 'srcport' in l4 ? l4.srcport : ''}`).toBe(spec.to);
        }
        // the same seed gives the same trace
        const again = simulate(req);
        expect(again.ok && again.value.trace.events.map((e) => `${e.host}/${e.netns} ${e.kind} ${e.reason ?? ''}`)).toEqual(t.events.map((e) => `${e.host}/${e.netns} ${e.kind} ${e.reason ?? ''}`));
      }),
      { numRuns: EDIT_RUNS, seed: FUZZ_SEED },
    );
  });
});
