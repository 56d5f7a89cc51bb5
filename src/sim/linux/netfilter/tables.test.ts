import { describe, expect, it } from 'vitest';
import { chainReferences, newTables, orderedChains } from './tables.ts';
import { TABLE_HOOKS } from './types.ts';

describe('newTables', () => {
  it("gives each table the kernel's built-in chains, every policy ACCEPT and empty", () => {
    const t = newTables();
    for (const name of ['raw', 'mangle', 'nat', 'filter'] as const) {
      expect([...t[name].keys()]).toEqual(TABLE_HOOKS[name]);
      for (const chain of t[name].values()) {
        expect(chain).toEqual({ name: chain.name, policy: 'ACCEPT', policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
      }
    }
  });

  it('gives every table its own chains and counters', () => {
    const a = newTables();
    const b = newTables();
    a.filter.get('INPUT')!.policyCounters.pkts = 5;
    expect(b.filter.get('INPUT')!.policyCounters.pkts).toBe(0);
    expect(a.nat.get('OUTPUT')).not.toBe(a.filter.get('OUTPUT'));
  });
});

describe('orderedChains', () => {
  it('lists built-ins in hook order, then user chains by name', () => {
    const t = newTables();
    for (const name of ['KUBE-SVC-B', 'CNI-HOSTPORT-DNAT', 'KUBE-SERVICES']) {
      t.nat.set(name, { name, policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
    }
    expect(orderedChains(t.nat).map((c) => c.name)).toEqual([
      'PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'CNI-HOSTPORT-DNAT', 'KUBE-SERVICES', 'KUBE-SVC-B',
    ]);
  });
});

describe('chainReferences', () => {
  it('counts jumps and gotos into a chain', () => {
    const t = newTables();
    const counters = { pkts: 0, bytes: 0 };
    t.nat.set('X', { name: 'X', policyCounters: counters, rules: [] });
    t.nat.get('PREROUTING')!.rules.push(
      { matches: [], target: { t: 'jump', chain: 'X' }, counters },
      { matches: [], target: { t: 'jump', chain: 'X', goto: true }, counters },
      { matches: [], target: { t: 'ACCEPT' }, counters },
    );
    expect(chainReferences(t.nat, 'X')).toBe(2);
  });
});
