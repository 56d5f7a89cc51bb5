import { describe, expect, it } from 'vitest';
import { loadSpec } from '../api.ts';
import { parseCluster } from '../k8s/spec.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';
import { SEED_SPEC } from './seed-spec.ts';

describe('the seed, read ahead of time', () => {
  it('survives the trip through JSON the worker build makes, unchanged', () => {
    // toStrictEqual also tells a missing key from one set to undefined
    expect(JSON.parse(JSON.stringify(SEED_SPEC))).toStrictEqual(SEED_SPEC);
  });

  it('is what reading the seed file gives, and what loading the seed preset answers', () => {
    const r = parseCluster(SEED_CLUSTER_YAML);
    expect(r.ok && r.value).toStrictEqual(SEED_SPEC);
    const loaded = loadSpec({ preset: 'seed', modes: {}, seed: 1, before: [] });
    expect(loaded.ok && loaded.value).toBe(SEED_SPEC);
    expect(SEED_SPEC.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIP}`)).toContain('default/nginx-test 10.43.6.58');
  });

  it('is not used when the LAN is given: the file is read again with it', () => {
    const r = loadSpec({ preset: 'seed', modes: {}, seed: 1, before: [], lan: '192.168.205.0/24' });
    expect(r.ok && r.value).not.toBe(SEED_SPEC);
  });
});
