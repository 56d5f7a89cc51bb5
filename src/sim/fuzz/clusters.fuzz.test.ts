import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { simulate } from '../api.ts';
import { SEED_CLUSTER_YAML } from '../scenarios/seed-cluster.ts';
import { hostileValue, leafPaths, setPath, assertTraceInvariants, FUZZ_SEED } from './hostile.ts';

/**
 * Cluster files as a careless user or an attacker writes them: the seed's file with one to three
 * fields replaced by hostile values (wrong types, huge and negative numbers, control characters,
 * `__proto__`, long strings). Whatever the file, the core answers with a value — a clear error
 * naming object and field, or a trace whose packets all end delivered or dropped with a reason.
 */
const seed = parse(SEED_CLUSTER_YAML) as unknown;
const items = (seed as { items: unknown[] }).items;
/** the file's own fields, and optional ones it leaves out */
const OPTIONAL = [['spec', 'sessionAffinity'], ['spec', 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'], ['metadata', 'namespace'], ['metadata', 'name'], ['metadata', 'labels'], ['spec', 'externalTrafficPolicy'], ['kind']];
const paths = [...leafPaths(seed), ...items.flatMap((_, i) => OPTIONAL.map((p) => ['items', i, ...p]))];

/** Structural mistakes: an object defined twice, possibly renamed or moved to another namespace. */
const duplicate = fc.tuple(fc.nat(items.length - 1), fc.constantFrom(['metadata', 'namespace'], ['metadata', 'name'], ['kind']), hostileValue, fc.boolean());

export const CLUSTER_RUNS = 300;

describe('fuzz: cluster files', () => {
  it(`${CLUSTER_RUNS} hostile cluster files: no exception, every trace ends with a verdict and a reason`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), hostileValue), { minLength: 0, maxLength: 3 }), fc.option(duplicate), (edits, dup) => {
        let doc = structuredClone(seed);
        if (dup) {
          const [i, path, value, keep] = dup;
          const copy = keep ? structuredClone(items[i]) : setPath(structuredClone(items[i]), path, value);
          doc = { ...(doc as object), items: [...items, copy] };
        }
        for (const [path, value] of edits) doc = setPath(doc, path, value);
        const r = simulate({ cluster: JSON.stringify(doc), modes: {}, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } });
        if (!r.ok) {
          expect(r.error.message.length).toBeGreaterThan(0);
          return;
        }
        assertTraceInvariants(r.value.trace);
      }),
      { numRuns: CLUSTER_RUNS, seed: FUZZ_SEED },
    );
  });
});
