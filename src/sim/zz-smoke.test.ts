import { it } from 'vitest';
import { loadScenario } from './api.ts';
import { traceFlow } from './k8s/flows.ts';
import { iptablesSave } from './cli/iptables.ts';
it('smoke', () => {
  const c = loadScenario({ preset: 'seed', modes: { proxy: 'ipvs', scheduler: 'rr' }, seed: 1, before: [] });
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  const ns = c.value.nodes.get('master')!;
  console.log(ns.ipvs!.listed().map((s) => `${s.proto} ${s.addr}:${s.port} ${s.scheduler} ${s.dests.map((d) => d.addr + ':' + d.port).join(',')}`).join('\n'));
  console.log([...ns.ipsets.values()].map((s) => `${s.name} ${s.type} ${[...s.entries].join(' ')}`).join('\n'));
  console.log(iptablesSave(ns.nf, {}));
  const t = traceFlow(c.value, { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' });
  if (!t.ok) throw new Error('x');
  for (const e of t.value.events) console.log(e.packetId, e.host, e.netns, e.kind, e.hook ?? '', e.ref?.chain ?? '', e.verdict ?? '', e.reason ?? '');
});
