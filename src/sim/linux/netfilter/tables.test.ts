import { describe, expect, it } from 'vitest';
import {
  chainReferences,
  commitTable,
  newTables,
  orderedChains,
  putChain,
  stageTable,
  writableChain,
} from './tables.ts';
import type { Rule } from './types.ts';
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

describe('staging (copy-on-write)', () => {
  const accept = (): Rule => ({ matches: [], target: { t: 'ACCEPT' }, counters: { pkts: 0, bytes: 0 } });

  it('shares chains until one is written, and leaves the original alone', () => {
    const t = newTables();
    const input = t.filter.get('INPUT')!;
    const staged = stageTable(t.filter);
    expect(staged.get('INPUT')).toBe(input);
    const copy = writableChain(staged, 'INPUT')!;
    copy.rules.push(accept());
    expect(copy).not.toBe(input);
    expect(writableChain(staged, 'INPUT')).toBe(copy);
    expect(input.rules).toHaveLength(0);
    expect(t.filter.get('INPUT')).toBe(input);
    expect(writableChain(staged, 'NOPE')).toBeUndefined();
  });

  it('publishes a transaction with commitTable, keeping the Map', () => {
    const t = newTables();
    const map = t.nat;
    const staged = stageTable(map);
    putChain(staged, { name: 'KUBE-SERVICES', policyCounters: { pkts: 0, bytes: 0 }, rules: [] });
    writableChain(staged, 'KUBE-SERVICES')!.rules.push(accept());
    expect(map.has('KUBE-SERVICES')).toBe(false);
    commitTable(map, staged);
    expect(t.nat).toBe(map);
    expect([...map.keys()]).toEqual([...staged.keys()]);
    expect(map.get('KUBE-SERVICES')!.rules).toHaveLength(1);
  });

  it('hands a nested transaction\'s copies to the outer one, and no longer lets the inner write them', () => {
    const t = newTables();
    const outer = stageTable(t.filter);
    const inner = stageTable(outer);
    const copy = writableChain(inner, 'FORWARD')!;
    commitTable(outer, inner);
    expect(writableChain(outer, 'FORWARD')).toBe(copy);
    expect(writableChain(inner, 'FORWARD')).not.toBe(copy);
    expect(t.filter.get('FORWARD')!.rules).toHaveLength(0);
  });
});
